"""Errors of the ledger. Each is one Chinese sentence for the user; the CLI prints it and exits."""
from __future__ import annotations

from ..errors import SubsidyError


class LedgerError(SubsidyError):
    """Base of the ledger's errors (exit 2: the command could not run)."""


class BadLedgerUrl(LedgerError):
    """The --ledger value (or SUBSIDY_LEDGER) is not a usable database URL."""


class LedgerUnavailable(LedgerError):
    """The database cannot be reached or opened."""


class LedgerMissing(LedgerError):
    """A SQLite ledger file that a read-only command needs does not exist."""


class LedgerSchemaError(LedgerError):
    """The ledger's schema is newer than this program, or not a subsidy ledger at all."""


class BadResultFile(LedgerError):
    """RESULT.json is not an assessment of schema subsidy.assessment/1."""


class LedgerConflict(LedgerError):
    """A payout to record conflicts with one already recorded: the whole record is refused (exit 1)."""

    exit_code = 1

    def __init__(self, conflicts: list[str]):
        self.conflicts = list(conflicts)
        super().__init__(
            f"与账本中已记录的兑现冲突 {len(self.conflicts)} 处，本次未写入任何记录：" + "；".join(self.conflicts))
