"""Named exceptions of the library. The CLI turns each into one Chinese line and an exit code."""
from __future__ import annotations


class SubsidyError(Exception):
    """Base of every error the library raises on purpose. ``str(e)`` is a Chinese sentence for a user."""

    exit_code = 2


class UnreadableInput(SubsidyError):
    """The input file cannot be read as an application workbook at all."""


class ConfigError(SubsidyError):
    """A --config file has an unknown key or a bad value."""


class UnknownPolicy(SubsidyError):
    """No policy pack of that id."""


class OutputError(SubsidyError):
    """An output file cannot be written."""


class AmountOutOfRange(SubsidyError):
    """Amounts so large that the engine's exact integer arithmetic cannot hold them (in practice, digits typed twice)."""
