"""The golden set: its record schema and loader, the checker, statistics and importers.

The generator that builds the set lives in scripts/make_golden.py; this package only reads,
checks and converts golden-schema files.
"""

from pii.golden.schema import load_golden, read_records, validate_record

__all__ = ["load_golden", "read_records", "validate_record"]
