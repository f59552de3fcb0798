"""Errors the library raises. The CLI maps them to exit codes; nothing else does.

Messages name the file, line or record id and say how to fix it. They never
contain record text: the payload is personal data.
"""


class PiiError(Exception):
    """Base class: a user or data problem with a clear fix (exit code 1)."""


class DataError(PiiError):
    """A data file is missing, unreadable or breaks the golden schema."""


class ModelError(PiiError):
    """A model spec is unknown, or its weights are missing, corrupted or unsupported."""


class ConfigError(PiiError):
    """A configuration file or option value is invalid."""


class UsageError(ConfigError):
    """An option names something that does not exist (an unknown classifier): the CLI's
    usage error, exit code 2, like typer's own."""


class NetworkBlockedError(PiiError):
    """Something tried to reach the network while the guard was active."""
