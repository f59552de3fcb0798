"""`pii golden ...`: check, describe and import golden-schema data."""

from __future__ import annotations

from pii.cli.base import sub_app

app = sub_app("Check, describe and import golden-schema data (the PII test set and training pool).")
