"""Alembic migrations of the ledger. They run by themselves when a ledger is opened (subsidy.ledger.db)."""
