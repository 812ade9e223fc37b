"""Opening a ledger: the URL (option, else SUBSIDY_LEDGER, else the embedded SQLite file), the engine, and
the Alembic upgrade that runs by itself on open, under a lock so two offices opening a new ledger at the
same moment cannot both create it.

Writers are serialised: on SQLite every transaction starts with BEGIN IMMEDIATE (one writer at a time, the
others wait up to ``BUSY_TIMEOUT`` seconds); on PostgreSQL a writer takes a transaction-level advisory lock.
The unique constraint on the payout key is the last line of defence behind both.

Only ``ledger init`` creates a ledger; every other command refuses a SQLite file or a PostgreSQL database without
the ledger's tables. A driver's error (connection refused, unknown host, timeout, unknown database, failed
authentication) becomes one Chinese sentence (LedgerUnavailable).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from .errors import BadLedgerUrl, LedgerMissing, LedgerSchemaError, LedgerUnavailable, ReadOnlyLedger

ENV = "SUBSIDY_LEDGER"
DEFAULT_URL = "sqlite:///ledger.db"
BUSY_TIMEOUT = 60  # seconds a SQLite writer waits for another
#: key of the PostgreSQL advisory lock that serialises the ledger's writers ("subsidy" in ASCII)
PG_LOCK_KEY = 0x73756273696479
MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(url: str | None) -> str:
    """The URL in force: the option, else SUBSIDY_LEDGER, else ``sqlite:///ledger.db``."""
    if url is None or not str(url).strip():
        url = os.environ.get(ENV, "").strip() or DEFAULT_URL
    return str(url).strip()


def parse_url(url: str) -> URL:
    """A SQLAlchemy URL of a supported database; ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    text = url.strip()
    if "://" not in text:
        raise BadLedgerUrl(f"账本地址“{text}”无效：应为 sqlite:///文件路径 或 postgresql+psycopg://用户@主机:端口/数据库")
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://"):]
    try:
        u = make_url(text)
    except (ArgumentError, ValueError):
        raise BadLedgerUrl(f"账本地址“{text}”无效：应为 sqlite:///文件路径 或 postgresql+psycopg://用户@主机:端口/数据库") from None
    if u.drivername in ("postgresql", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    if u.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise BadLedgerUrl(f"不支持的账本数据库“{u.drivername}”：只支持 sqlite:///文件路径 和 postgresql+psycopg://…")
    if u.drivername.startswith("sqlite") and not u.database:
        raise BadLedgerUrl("账本地址缺少 SQLite 文件路径：应为 sqlite:///文件路径（内存数据库不能作账本）")
    if u.drivername.startswith("sqlite") and u.database == ":memory:":
        raise BadLedgerUrl("内存数据库不能作账本：应为 sqlite:///文件路径")
    if u.drivername == "postgresql+psycopg" and not u.database:
        raise BadLedgerUrl(f"账本地址“{shown(u)}”缺少数据库名：应为 postgresql+psycopg://用户@主机:端口/数据库")
    return u


def shown(u: URL | str) -> str:
    """The URL as it may be printed: never the password."""
    if isinstance(u, str):
        try:
            u = make_url(u)
        except (ArgumentError, ValueError):
            return u
    return u.render_as_string(hide_password=True)


#: seconds to wait for a PostgreSQL server to answer before giving up
CONNECT_TIMEOUT = 10


def _detail(e: Exception) -> str:
    text = str(getattr(e, "orig", None) or e).strip()
    return text.splitlines()[0].strip() if text else e.__class__.__name__


def _unreachable(u: URL, e: Exception) -> LedgerUnavailable:
    """The driver's error as one Chinese sentence (connection refused, unknown host, timeout, unknown database,
    failed authentication, …); the driver's own English text only when the error is none of those."""
    low = str(getattr(e, "orig", None) or e).lower()
    host = u.host or "localhost"
    where = f"{host}:{u.port or 5432}"
    if "unable to open" in low:
        why = "无法打开账本文件（目录不存在或没有权限）"
    elif "not a database" in low:
        why = "该文件不是 SQLite 数据库"
    elif "database" in low and "does not exist" in low:
        why = f"数据库“{u.database}”不存在（数据库名写错了，或尚未由数据库管理员创建）"
    elif "role" in low and "does not exist" in low:
        why = f"数据库用户“{u.username}”不存在"
    elif "password authentication failed" in low or "authentication failed" in low:
        why = f"用户“{u.username}”身份验证失败（用户名或密码错误）"
    elif "no password supplied" in low:
        why = f"服务器要求用户“{u.username}”的密码，但账本地址中没有密码"
    elif "no pg_hba.conf entry" in low:
        why = f"服务器不允许用户“{u.username}”从本机连接数据库“{u.database}”（请数据库管理员检查 pg_hba.conf）"
    elif "connection refused" in low:
        why = f"{where} 上没有数据库服务（服务未启动，或主机、端口不对）"
    elif "resolve host" in low or "translate host name" in low or "name or service not known" in low:
        why = f"找不到主机“{host}”（主机名写错了，或网络不通）"
    elif "timeout" in low or "timed out" in low:
        why = f"{where} 在 {CONNECT_TIMEOUT} 秒内没有应答（主机、端口不对，或网络不通）"
    elif "permission denied" in low or "must be owner" in low:
        return LedgerUnavailable(f"账本数据库 {shown(u)} 拒绝了用户“{u.username}”的操作：没有所需的权限"
                                 "（建立账本须有该数据库的建表权限，记账须有账本各表的写入权限）")
    else:
        why = f"连接失败（数据库驱动报告：{_detail(e)[:160]}）"
    return LedgerUnavailable(f"无法连接账本数据库 {shown(u)}：{why}")


def _sqlite_serialised(engine: Engine) -> None:
    """pysqlite: let SQLAlchemy own the transactions, and make each one a write transaction (BEGIN IMMEDIATE)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # noqa: ANN001
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def lock(conn: Connection) -> None:
    """Serialise writers: PostgreSQL advisory lock until the end of the transaction (SQLite: BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")


def _alembic_config(conn: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def _current(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _missing(u: URL) -> LedgerMissing:
    if u.drivername.startswith("sqlite"):
        return LedgerMissing(f"文件 {u.database} 中没有兑现账本的数据表：如果这就是要用的账本，请先运行 "
                             f"subsidy ledger init --ledger {u.render_as_string()}")
    return LedgerMissing(f"数据库 {shown(u)} 中没有兑现账本的数据表：如果这就是要用的账本，请先用同一地址运行 "
                         "subsidy ledger init")


def _known_revision(cfg, revision: str) -> bool:
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory.from_config(cfg).get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        return False


def _foreign_keys(conn: Connection, on: bool) -> None:
    """SQLite: switch foreign keys on or off for this connection (only outside a transaction). A migration that
    rebuilds a table (drop and rename) must run with them off, or dropping the old table would cascade."""
    if conn.dialect.name == "sqlite":
        conn.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _denied(e: Exception) -> bool:
    low = str(getattr(e, "orig", None) or e).lower()
    return "permission denied" in low or "must be owner" in low or "insufficientprivilege" in low


def migrate(engine: Engine, *, create: bool = False) -> None:
    """Bring the ledger's schema to the latest migration (nothing to do when it is there already: a read-only
    user only reads the version, never writes or locks).

    Without ``create`` a database that holds no ledger yet is refused (LedgerMissing): only ``ledger init``
    creates the tables, so a mistyped URL never starts a second, empty ledger. A user without the right to
    change the schema (a read-only auditor) on an out-of-date ledger is told so in one sentence.
    """
    from alembic import command

    head = _head()
    with engine.connect() as conn:
        current = _current(conn)
    if current == head:
        return
    if current is None and not create:
        raise _missing(engine.url)
    with engine.connect() as conn:
        _foreign_keys(conn, False)
        try:
            with conn.begin():
                lock(conn)
                current = _current(conn)
                if current == head:
                    return
                if current is None and not create:
                    raise _missing(engine.url)
                cfg = _alembic_config(conn)
                if current is not None and not _known_revision(cfg, current):
                    if inspect(conn).has_table("payouts"):
                        raise LedgerSchemaError(
                            f"账本的数据结构版本（{current}）比本程序新，请先升级 subsidy 再使用该账本")
                    raise LedgerSchemaError(
                        f"{shown(engine.url)} 不是兑现账本：其中的 alembic_version 表（版本 {current}）属于别的程序")
                try:
                    command.upgrade(cfg, "head")
                except DBAPIError as e:
                    if current is not None and _denied(e):
                        raise LedgerSchemaError(
                            f"账本 {shown(engine.url)} 的数据结构（版本 {current}）需要升级到本程序的版本 {head}，"
                            f"但用户“{engine.url.username}”没有升级的权限（只读用户）：请账本的所有者（建账的用户）先运行"
                            " subsidy ledger init 升级账本，再用只读用户查询和审计") from None
                    raise
                if conn.dialect.name == "sqlite":
                    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if bad:
                        raise LedgerSchemaError(f"账本升级后外键检查不通过（{len(bad)} 处），未升级")
        finally:
            if not conn.closed:
                try:
                    _foreign_keys(conn, True)
                except Exception:  # noqa: BLE001 - the connection is discarded below anyway
                    conn.invalidate()


def open_engine(url: str | None, *, create: bool = False) -> Engine:
    """An engine on the ledger at ``url`` (resolved as above), migrated to the latest schema.

    ``create=False`` refuses a SQLite file that does not exist yet, and a database (SQLite or PostgreSQL) without
    the ledger's tables: a mistyped path or URL must not start an empty ledger (payouts recorded there would be
    missing from the real one, and paid again next year). Only ``ledger init`` creates.
    """
    u = parse_url(resolve_url(url))
    if u.drivername.startswith("sqlite"):
        path = Path(u.database)
        if not path.exists():
            if not create:
                raise LedgerMissing(f"账本文件不存在：{path}（新账本请先用 subsidy ledger init --ledger {u.render_as_string()} 创建）")
            if not path.parent.exists():
                raise LedgerUnavailable(f"无法创建账本文件 {path}：目录 {path.parent} 不存在")
        engine = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT})
        _sqlite_serialised(engine)
    else:
        engine = create_engine(u, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT})
    try:
        migrate(engine, create=create)
    except (LedgerSchemaError, LedgerUnavailable, LedgerMissing):
        engine.dispose()
        raise
    except SQLAlchemyError as e:
        engine.dispose()
        raise _unreachable(u, e) from None
    return engine


@contextmanager
def session(url: str | None, *, create: bool = False, write: bool = False) -> Iterator[Session]:
    """A session on the ledger in one transaction, committed at the end; ``write`` takes the writers' lock."""
    engine = open_engine(url, create=create)
    try:
        with Session(engine, expire_on_commit=False) as s:
            try:
                with s.begin():
                    if write:
                        lock(s.connection())
                    yield s
            except IntegrityError:
                raise
            except (OperationalError, DBAPIError) as e:
                if write and _denied(e):
                    raise ReadOnlyLedger(
                        f"用户“{engine.url.username}”对账本 {shown(engine.url)} 只有读取权限，不能写入：记账、导入、冲销和"
                        "登记追缴须由有写入权限的用户进行（只读用户可以查询、导出、核验、审计和预测）") from None
                if "locked" in str(e).lower():
                    raise LedgerUnavailable(f"账本 {shown(engine.url)} 正被其他程序长时间占用，请稍后再试") from None
                raise _unreachable(engine.url, e) from None
    finally:
        engine.dispose()
