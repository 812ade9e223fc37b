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


class ListedError(LedgerError):
    """A refusal with a list of items (conflicts, bad rows): ``headline`` is the sentence before the list.
    ``str(e)`` is the whole of it on one line; the CLI prints the headline and then one item per line."""

    headline = ""

    def __init__(self, items: list[str]):
        self.items = list(items)
        super().__init__(f"{self.headline}：" + "；".join(self.items))


class LedgerConflict(ListedError):
    """A payout to record or import conflicts with one already in the ledger (SPEC 7): the whole record is refused,
    nothing is written (exit 1: the ledger said no, as an audit that finds a difference says no)."""

    exit_code = 1

    def __init__(self, conflicts: list[str]):
        self.headline = f"与账本中已有的兑现记录冲突 {len(conflicts)} 处，本次未写入任何记录"
        super().__init__(conflicts)

    @property
    def conflicts(self) -> list[str]:
        return self.items


class BadImportFile(ListedError):
    """Rows of an 已兑现奖励 sheet to import that cannot be read or cannot be payouts under the policy: nothing is
    imported (exit 2)."""

    def __init__(self, problems: list[str], *, name: str):
        self.headline = f"“{name}”中有 {len(problems)} 处问题，未导入任何记录"
        super().__init__(problems)


class ReversalRefused(LedgerError):
    """A payout that cannot be reversed: unknown, already reversed, a reversal itself, or under clawback."""


class ReadOnlyLedger(LedgerError):
    """The database user may read the ledger but not write to it (a read-only auditor)."""
