"""Read-only auditors on a PostgreSQL ledger: the SQL that gives a database role SELECT and nothing else.

The role can then run `audit --ledger`, `ledger list / export / verify` and `forecast`; opening the ledger only
reads ``alembic_version`` when the schema is current (db.migrate), and any write (`record`, `import`, `reverse`,
`clawback --record`, `returned`) is refused by the database and reported as ReadOnlyLedger. Future tables (a later
migration run by the owner) are readable too: ``ALTER DEFAULT PRIVILEGES`` of the owner grants SELECT on them.
"""
from __future__ import annotations

import re

from sqlalchemy import text

from . import db
from .errors import LedgerError

#: the ledger's tables (alembic_version: opening a ledger reads its schema version)
TABLES = ("alembic_version", "payouts", "payout_shares", "clawbacks")
_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class BadRole(LedgerError):
    """A role that cannot be made a read-only auditor (bad name, missing, superuser, the owner itself)."""


def check_role_name(role: str) -> str:
    role = (role or "").strip()
    if not _ROLE.match(role):
        raise BadRole(f"数据库用户名“{role}”无效：只能由英文字母、数字和下划线组成，以字母或下划线开头，不超过63个字符")
    return role


def grant_sql(role: str, *, database: str, schema: str = "public") -> list[str]:
    """The statements a DBA (or the ledger's owner) runs to make ``role`` a read-only auditor."""
    r = f'"{check_role_name(role)}"'
    tables = ", ".join(f"{schema}.{t}" for t in TABLES)
    return [
        f'GRANT CONNECT ON DATABASE "{database}" TO {r}',
        f"GRANT USAGE ON SCHEMA {schema} TO {r}",
        f"REVOKE ALL ON {tables} FROM {r}",
        f"GRANT SELECT ON {tables} TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {r}",
    ]


def _postgres(url: str | None):
    u = db.parse_url(db.resolve_url(url))
    if not u.drivername.startswith("postgresql"):
        raise BadRole("只读用户只适用于 PostgreSQL 账本：SQLite 账本是一个文件，请把文件的副本（或只读权限）交给审计人员")
    return u


def sql_for(url: str | None, role: str) -> list[str]:
    """The statements for the ledger at ``url`` without connecting (schema public)."""
    u = _postgres(url)
    return grant_sql(role, database=u.database)


def grant_reader(url: str | None, role: str) -> list[str]:
    """Run the statements on the ledger at ``url`` (as its owner); returns them. The role must exist and must not
    be a superuser or the user of ``url`` itself (neither can be made read-only)."""
    u = _postgres(url)
    role = check_role_name(role)
    with db.session(url, write=True) as s:
        found = s.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if found is None:
            raise BadRole(f"数据库用户“{role}”不存在：请数据库管理员先创建（CREATE ROLE {role} LOGIN PASSWORD '…'），"
                          "再运行本命令")
        if found.rolsuper:
            raise BadRole(f"数据库用户“{role}”是超级用户，不受权限限制，不能作只读用户")
        if s.execute(text("SELECT current_user")).scalar() == role:
            raise BadRole(f"数据库用户“{role}”就是账本地址中的用户（账本的所有者），不能把自己设为只读")
        schema = s.execute(text("SELECT current_schema()")).scalar() or "public"
        statements = grant_sql(role, database=u.database, schema=schema)
        for sql in statements:
            s.execute(text(sql))
        return statements
