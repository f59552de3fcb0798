"""Small golden-schema files written by tests."""

from __future__ import annotations

import json
from pathlib import Path

POSITIVE = [
    "Call Maria Lopez at 0176 {n}.",
    "My email is tom.baker{n}@mail.net",
    "SSN 523-41-{n:04d} for Ana Ruiz",
]
NEGATIVE = [
    "Order {n} shipped on Tuesday.",
    "Version 4.{n}.1 is out now",
    "The meeting moved to room {n}.",
]


def record(rid: str, text: str, has_pii: bool) -> dict:
    return {
        "id": rid,
        "text": text,
        "has_pii": has_pii,
        "pii_types": ["PHONE"] if has_pii else [],
        "tags": {
            "format": "chat",
            "language": "en",
            "difficulty": "easy",
            "obfuscated": False,
            "novel": False,
            "hard_negative": False,
            "negative_kind": None,
        },
        "template_id": "t-pos" if has_pii else "t-neg",
    }


def write_split(path: Path, prefix: str, n: int, start: int = 0) -> Path:
    rows = []
    for i in range(n):
        pos = i % 2 == 0
        templates = POSITIVE if pos else NEGATIVE
        text = templates[i % 3].format(n=start + i)
        rows.append(record(f"{prefix}-{i:04d}", text, pos))
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path
