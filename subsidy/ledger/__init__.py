"""The payout ledger: what was paid under a policy, to whom, when, by which treasury; and what must come back.

SQLite file by default (embedded), PostgreSQL for a ledger shared by several offices; the schema is managed by
the Alembic migrations in ``migrations/``: ``ledger init`` creates it, and opening a ledger upgrades it.
"""
from .db import DEFAULT_URL, ENV, parse_url, resolve_url
from .errors import (BadImportFile, BadLedgerUrl, BadResultFile, LedgerConflict, LedgerError, LedgerMissing,
                     LedgerSchemaError, LedgerUnavailable, ReadOnlyLedger, ReversalRefused)
from .store import (ClawbackDue, LedgerClawback, LedgerPayout, RecordOutcome, clawbacks_due, entries, history,
                    import_history, init, mark_returned, payouts, record, record_clawbacks, reverse, verify)

__all__ = [
    "DEFAULT_URL", "ENV", "parse_url", "resolve_url",
    "BadImportFile", "BadLedgerUrl", "BadResultFile", "LedgerConflict", "LedgerError", "LedgerMissing",
    "LedgerSchemaError", "LedgerUnavailable", "ReadOnlyLedger", "ReversalRefused",
    "ClawbackDue", "LedgerClawback", "LedgerPayout", "RecordOutcome", "clawbacks_due", "entries", "history",
    "import_history", "init", "mark_returned", "payouts", "record", "record_clawbacks", "reverse", "verify",
]
