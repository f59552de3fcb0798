"""pii: is fine-tuning worth it, or does a well-prompted base model already detect PII?

From code: `clf = pii.load("adapter"); clf.classify(texts)` (pii.api, imported on first use
so that `import pii` stays instant).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "load"]


def load(what: Any = "adapter", model: str = "smollm2-135m") -> Any:
    """A classifier by name or path, ready to `classify(texts)`; see pii.api.load."""
    from pii.api import load as _load  # the facade: the API sits on top of every layer

    return _load(what, model)
