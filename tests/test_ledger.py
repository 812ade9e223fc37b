"""The payout ledger (SPEC 7, issue 3): record, refuse conflicts whole, history, clawback — on SQLite and,
when SUBSIDY_TEST_PG_URL is set, on PostgreSQL too."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from factory import code
from subsidy import ledger as L
from subsidy.ledger import db
from subsidy.models import Company

PG_URL = os.environ.get("SUBSIDY_TEST_PG_URL")
A, B, C = code(101), code(102), code(103)
TODAY = dt.date(2025, 3, 1)


# --------------------------------------------------------------------------- helpers (also used by test_audit*)


def wipe_pg(url: str) -> None:
    eng = create_engine(db.parse_url(url))
    with eng.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS clawbacks, payout_shares, payouts, alembic_version CASCADE"))
    eng.dispose()


def make_ledger(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        if not PG_URL:
            pytest.skip("SUBSIDY_TEST_PG_URL 未设置：跳过 PostgreSQL 测试")
        url = PG_URL
        wipe_pg(url)
    L.init(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request, tmp_path) -> str:
    return make_ledger(request.param, tmp_path)


def ln(claim_id: str, category: str, payable, *, credit_code: str = A, subject: str = "", measure: int = 24,
       payers: dict | None = None, name: str | None = None) -> dict:
    amount = f"{Decimal(str(payable)):.2f}"
    return {"claim_id": claim_id, "credit_code": credit_code, "company_name": name or f"企业{credit_code[-4:]}",
            "category_code": category, "measure": measure, "subject": subject, "status": "awarded",
            "standard_amount": amount, "payable": amount,
            "payers": payers if payers is not None else ({"珠山区财政": amount} if Decimal(amount) else {}),
            "reasons": []}


def result(year: int, *lines: dict, sha: str = "ab" * 32, tax: dict | None = None, region: str = "珠山区") -> dict:
    codes = sorted({x["credit_code"] for x in lines})
    tax = tax or {}
    return {
        "schema": "subsidy.assessment/1", "policy": {"id": "jdz-2023"}, "year": year, "input": {"sha256": sha},
        "parameters": {}, "lines": list(lines),
        "companies": [{"credit_code": c, "company_name": f"企业{c[-4:]}", "region": region,
                       "local_retained_tax": tax.get(c, "10000000.00"), "requested": "0.00", "payable": "0.00",
                       "capped": False} for c in codes],
        "deposits": [], "clawbacks": [], "totals": {}, "issues": [],
    }


def write(tmp_path: Path, name: str, data: dict) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return p


def rec(url: str, tmp_path: Path, data: dict, *, name: str = "r.json", paid_on: str = "2024-01-20"):
    return L.record(url, write(tmp_path, name, data), approved_by="张三", paid_on=dt.date.fromisoformat(paid_on),
                    today=TODAY)


def keys(url: str) -> list[tuple]:
    return sorted((p.credit_code, p.category, p.subject_norm, p.reward_year, str(p.amount)) for p in L.payouts(url))


# --------------------------------------------------------------------------- record

RECORD_CASES = [
    ("a new result records every line with payable above zero, and no other",
     [result(2023, ln("A-1", "tech_provincial", 200000), ln("A-2", "method_national", 0, subject="工法甲"))],
     [(A, "tech_provincial", "", 2023, "200000.00")]),
    ("a rejected row with no category and nothing payable does not stop the record",
     [result(2023, ln("A-1", "tech_provincial", 200000),
             {**ln("X-9", "", 0, credit_code=""), "category_code": "", "measure": None})],
     [(A, "tech_provincial", "", 2023, "200000.00")]),
    ("the same result recorded twice is recorded once",
     [result(2023, ln("A-1", "tech_provincial", 200000))] * 2,
     [(A, "tech_provincial", "", 2023, "200000.00")]),
    ("subjects differing only in white space and full-width letters are the same payout",
     [result(2023, ln("A-1", "luban", 500000, subject="瓷都 大厦Ａ", measure=6)),
      result(2023, ln("A-9", "luban", 500000, subject=" 瓷都大厦A ", measure=6))],
     [(A, "luban", "瓷都大厦A", 2023, "500000.00")]),
    ("an upgrade in the same family the next year is a new payout",
     [result(2023, ln("A-1", "tech_provincial", 200000)), result(2024, ln("A-2", "tech_national", 300000))],
     [(A, "tech_national", "", 2024, "300000.00"), (A, "tech_provincial", "", 2023, "200000.00")]),
    ("HQ relocation is paid once per reward year, so the next year's is a new payout",
     [result(2023, ln("H-1", "hq_relocation", 800000, measure=5)),
      result(2024, ln("H-2", "hq_relocation", 900000, measure=5))],
     [(A, "hq_relocation", "", 2023, "800000.00"), (A, "hq_relocation", "", 2024, "900000.00")]),
    ("overlapping results record the union, each payout once",
     [result(2023, ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B)),
      result(2023, ln("B-1", "qual_grade1", 500000, credit_code=B), ln("C-1", "qual_design", 500000, credit_code=C))],
     [(A, "tech_provincial", "", 2023, "200000.00"), (B, "qual_grade1", "", 2023, "500000.00"),
      (C, "qual_design", "", 2023, "500000.00")]),
]


@pytest.mark.parametrize("name,results,expected", RECORD_CASES, ids=[c[0] for c in RECORD_CASES])
def test_record(ledger_url, tmp_path, name, results, expected):
    for i, r in enumerate(results):
        rec(ledger_url, tmp_path, r, name=f"r{i}.json")
    assert keys(ledger_url) == expected


def test_recording_again_reports_nothing_new(ledger_url, tmp_path):
    r = result(2023, ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B))
    first = rec(ledger_url, tmp_path, r)
    again = rec(ledger_url, tmp_path, r)
    assert (len(first.new), first.unchanged, first.new_amount) == (2, 0, Decimal("700000.00"))
    assert (len(again.new), again.unchanged) == (0, 2)


def test_a_payout_keeps_every_field_the_issue_names(ledger_url, tmp_path):
    r = result(2024, ln("H-1", "hq_relocation", "800000.01", measure=5, credit_code=B,
                        payers={"市财政": "400000.01", "高新区财政": "400000.00"}),
               sha="cd" * 32, tax={B: "3000000.50"}, region="高新区")
    rec(ledger_url, tmp_path, r, paid_on="2025-02-03")
    [p] = L.payouts(ledger_url)
    assert (p.policy_id, p.credit_code, p.category, p.reward_year, p.amount, p.paid_on, p.approved_by, p.claim_id,
            p.input_sha256, p.region, p.local_retained_tax, p.measure) == (
        "jdz-2023", B, "hq_relocation", 2024, Decimal("800000.01"), dt.date(2025, 2, 3), "张三", "H-1", "cd" * 32,
        "高新区", Decimal("3000000.50"), 5)
    assert p.payers == {"市财政": Decimal("400000.01"), "高新区财政": Decimal("400000.00")}
    assert all(isinstance(v, Decimal) for v in (p.amount, *p.payers.values()))


CONFLICT_CASES = [
    ("a different amount for a recorded payout",
     result(2023, ln("A-1", "tech_provincial", 200000)),
     result(2023, ln("A-1", "tech_provincial", 150000), ln("B-1", "qual_grade1", 500000, credit_code=B)),
     ["已于 2024-01-20 记录兑现 200,000.00 元", "本次为 150,000.00 元"]),
    ("a different split between treasuries for a recorded payout",
     result(2023, ln("A-1", "prefab_provincial", 500000, measure=7,
                     payers={"市财政": "250000.00", "珠山区财政": "250000.00"})),
     result(2023, ln("A-1", "prefab_provincial", 500000, measure=7, payers={"珠山区财政": "500000.00"}),
            ln("B-1", "qual_grade1", 500000, credit_code=B)),
     ["省级装配式建筑产业基地"]),
    ("a one-time reward already paid in an earlier year",
     result(2023, ln("A-1", "qual_grade1", 500000, measure=2)),
     result(2024, ln("A-7", "qual_grade1", 500000, measure=2), ln("B-1", "qual_grade1", 500000, credit_code=B)),
     ["是一次性奖励，已作为 2023 年度奖励", "不得重复兑现"]),
    ("the same project's honour already paid in an earlier year",
     result(2023, ln("A-1", "luban", 500000, subject="瓷都大厦", measure=6)),
     result(2024, ln("A-7", "luban", 500000, subject="瓷都 大厦", measure=6),
            ln("B-1", "qual_grade1", 500000, credit_code=B)),
     ["鲁班奖「瓷都 大厦」", "一次性奖励"]),
]


@pytest.mark.parametrize("name,first,second,words", CONFLICT_CASES, ids=[c[0] for c in CONFLICT_CASES])
def test_conflict_refuses_the_whole_record(ledger_url, tmp_path, name, first, second, words):
    rec(ledger_url, tmp_path, first, name="first.json")
    before = keys(ledger_url)
    with pytest.raises(L.LedgerConflict) as e:
        rec(ledger_url, tmp_path, second, name="second.json")
    assert keys(ledger_url) == before  # B-1, which conflicts with nothing, was not written either
    assert e.value.exit_code == 1 and len(e.value.conflicts) == 1
    for w in words:
        assert w in str(e.value)


def test_every_conflict_is_listed(ledger_url, tmp_path):
    rec(ledger_url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000),
                                     ln("B-1", "qual_grade1", 500000, credit_code=B)))
    with pytest.raises(L.LedgerConflict) as e:
        rec(ledger_url, tmp_path, result(2023, ln("A-1", "tech_provincial", 1), ln("B-1", "qual_grade1", 2,
                                                                                  credit_code=B)), name="x.json")
    assert len(e.value.conflicts) == 2 and "A-1" in str(e.value) and "B-1" in str(e.value)


BAD_RESULTS = [
    ("a file of another schema", {"schema": "something/1"}, "schema"),
    ("a line without its category", {**result(2023), "lines": [{"claim_id": "x", "credit_code": A, "payable": "1.00"}]},
     "category_code"),
    ("an amount with three decimals", result(2023, {**ln("A-1", "tech_provincial", 1), "payable": "1.005"}), "payable"),
    ("a float amount", result(2023, {**ln("A-1", "tech_provincial", 1), "payable": 1.5}), "payable"),
    ("treasuries that do not add up to the payable",
     result(2023, ln("A-1", "tech_provincial", 100, payers={"珠山区财政": "99.00"})), "出资财政合计"),
    ("a category the policy does not have", result(2023, ln("A-1", "no_such", 100)), "不属于政策"),
    ("the same claim twice", result(2023, ln("A-1", "tech_provincial", 100), ln("A-2", "tech_provincial", 100)),
     "同一奖励事项出现两次"),
]


@pytest.mark.parametrize("name,data,word", BAD_RESULTS, ids=[c[0] for c in BAD_RESULTS])
def test_an_unreadable_result_is_refused(tmp_path, name, data, word):
    url = make_ledger("sqlite", tmp_path)
    with pytest.raises(L.BadResultFile) as e:
        rec(url, tmp_path, data)
    assert word in str(e.value) and e.value.exit_code == 2
    assert L.payouts(url) == []


@pytest.mark.parametrize("name,paid_on,word", [
    ("a payment date in the future", "2025-03-02", "晚于今天"),
    ("a payment date before the reward year", "2022-12-31", "早于奖励年度"),
], ids=lambda x: x if isinstance(x, str) and " " in x else "")
def test_impossible_payment_dates_are_refused(tmp_path, name, paid_on, word):
    url = make_ledger("sqlite", tmp_path)
    with pytest.raises(L.BadResultFile, match=word):
        rec(url, tmp_path, result(2023, ln("A-1", "tech_provincial", 1)), paid_on=paid_on)


# --------------------------------------------------------------------------- URLs and connections

URL_CASES = [
    ("a bare file name is not a URL", "ledger.db", L.BadLedgerUrl, "无效"),
    ("MySQL is not supported", "mysql://u@h/db", L.BadLedgerUrl, "不支持"),
    ("an in-memory SQLite database cannot be a ledger", "sqlite://", L.BadLedgerUrl, "SQLite 文件路径"),
    ("a PostgreSQL URL without a database", "postgresql+psycopg://u@127.0.0.1:5432", L.BadLedgerUrl, "缺少数据库名"),
    ("a SQLite file that does not exist is not created by reading", "sqlite:///{tmp}/nope.db", L.LedgerMissing,
     "ledger init"),
    ("a server that does not answer", "postgresql+psycopg://u:secret@127.0.0.1:9/db", L.LedgerUnavailable,
     "数据库服务未启动"),
]


@pytest.mark.parametrize("name,url,error,word", URL_CASES, ids=[c[0] for c in URL_CASES])
def test_bad_urls_and_unreachable_databases(tmp_path, name, url, error, word):
    with pytest.raises(error) as e:
        L.payouts(url.format(tmp=tmp_path))
    assert word in str(e.value) and "secret" not in str(e.value) and e.value.exit_code == 2


def test_the_url_comes_from_the_option_then_the_environment_then_the_default(monkeypatch):
    monkeypatch.delenv("SUBSIDY_LEDGER", raising=False)
    assert L.resolve_url(None) == "sqlite:///ledger.db"
    monkeypatch.setenv("SUBSIDY_LEDGER", "sqlite:///env.db")
    assert (L.resolve_url(None), L.resolve_url("sqlite:///opt.db")) == ("sqlite:///env.db", "sqlite:///opt.db")
    assert L.parse_url("postgres://u@h/db").drivername == "postgresql+psycopg"


def test_the_schema_is_the_latest_migration_and_matches_the_models(ledger_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from subsidy.ledger.schema import Base

    eng = db.open_engine(ledger_url)
    with eng.connect() as conn:
        ctx = MigrationContext.configure(conn)
        assert ctx.get_current_revision() == db._head()
        diff = [d for d in compare_metadata(ctx, Base.metadata) if d[0] not in ("remove_index", "add_index")]
    eng.dispose()
    assert diff == []


def test_a_ledger_from_a_newer_program_is_refused(tmp_path):
    url = make_ledger("sqlite", tmp_path)
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    eng.dispose()
    with pytest.raises(L.LedgerSchemaError, match="比本程序新"):
        L.payouts(url)


# --------------------------------------------------------------------------- concurrency


def _record_in_process(url: str, path: str, barrier, queue) -> None:
    barrier.wait()
    try:
        out = L.record(url, path, approved_by="并发", paid_on=dt.date(2024, 1, 20), today=TODAY)
        queue.put(("ok", len(out.new), out.unchanged))
    except L.LedgerConflict as e:
        queue.put(("conflict", len(e.conflicts), 0))
    except Exception as e:  # noqa: BLE001 - reported to the parent as a failure
        queue.put(("error", repr(e), 0))


def _race(url: str, paths: list[Path]) -> list[tuple]:
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(len(paths)), ctx.Queue()
    procs = [ctx.Process(target=_record_in_process, args=(url, str(p), barrier, queue)) for p in paths]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return outcomes


def test_processes_recording_overlapping_batches_at_once_leave_one_payout_per_key(ledger_url, tmp_path):
    lines = [ln("A-1", "tech_provincial", 200000), ln("B-1", "qual_grade1", 500000, credit_code=B),
             ln("C-1", "qual_design", 500000, credit_code=C), ln("A-2", "luban", 500000, subject="瓷都大厦", measure=6)]
    batches = [lines[0:2], lines[1:3], lines[2:4], lines, [lines[3], lines[0]], lines[::-1]]
    paths = [write(tmp_path, f"b{i}.json", result(2023, *b)) for i, b in enumerate(batches)]
    outcomes = _race(ledger_url, paths)
    assert all(o[0] == "ok" for o in outcomes), outcomes
    assert sum(o[1] for o in outcomes) == 4  # each payout recorded by exactly one process
    assert len(keys(ledger_url)) == 4


def test_processes_recording_conflicting_amounts_at_once_leave_exactly_one(ledger_url, tmp_path):
    paths = [write(tmp_path, f"c{i}.json", result(2023, ln("A-1", "tech_provincial", 200000 - i))) for i in range(4)]
    outcomes = _race(ledger_url, paths)
    assert sorted(o[0] for o in outcomes) == ["conflict", "conflict", "conflict", "ok"], outcomes
    assert len(keys(ledger_url)) == 1


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_processes_opening_a_new_ledger_at_once_create_it_once(tmp_path, kind):
    url = make_ledger(kind, tmp_path)
    if kind == "sqlite":  # the file must exist (only `ledger init` creates one): the race is on the tables
        eng = create_engine(url)
        with eng.begin() as conn:
            for t in ("clawbacks", "payout_shares", "payouts", "alembic_version"):
                conn.execute(text(f"DROP TABLE {t}"))
        eng.dispose()
    else:
        wipe_pg(url)
    paths = [write(tmp_path, f"n{i}.json", result(2023, ln("A-1", "tech_provincial", 200000))) for i in range(4)]
    outcomes = _race(url, paths)
    assert sorted(o[0] for o in outcomes) == ["ok"] * 4, outcomes
    assert sum(o[1] for o in outcomes) == 1


# --------------------------------------------------------------------------- history and clawback


def test_history_gives_the_engine_payouts_from_the_ledger(ledger_url, tmp_path):
    rec(ledger_url, tmp_path, result(2023, ln("A-1", "luban", 500000, subject="瓷都 大厦", measure=6),
                                     ln("B-1", "qual_grade1", 500000, credit_code=B)))
    hist = L.history(ledger_url, credit_codes=[A], policy_id="jdz-2023")
    assert [(p.credit_code, p.category, p.subject, p.reward_year, p.amount, p.source) for p in hist] == [
        (A, "luban", "瓷都 大厦", 2023, Decimal("500000.00"), "账本")]
    assert L.history(ledger_url, policy_id="other-policy") == []


def _company(credit_code: str, **kw) -> Company:
    return Company(credit_code=credit_code, name="企业", region="珠山区", **kw)


CLAWBACK_CASES = [
    # name, company facts, payouts (paid on), expected (paid on, reason)
    ("a company that moved out returns what it was paid in the five years up to the move",
     dict(moved_out_on=dt.date(2028, 6, 30)), ["2023-06-30", "2023-07-01", "2028-06-30"],
     [("2023-07-01", "MOVED_OUT"), ("2028-06-30", "MOVED_OUT")]),
    ("a payout after the move is not within the five years before it",
     dict(moved_out_on=dt.date(2024, 1, 1)), ["2024-01-02"], []),
    ("a company found to cheat returns everything under the policy",
     dict(fraud=True), ["2023-06-30", "2024-01-02"], [("2023-06-30", "FRAUD"), ("2024-01-02", "FRAUD")]),
    ("a company that cheated and moved out returns each payout once, for fraud",
     dict(fraud=True, moved_out_on=dt.date(2024, 1, 1)), ["2023-06-30"], [("2023-06-30", "FRAUD")]),
    ("a company in good standing returns nothing", {}, ["2023-06-30"], []),
]


@pytest.mark.parametrize("name,facts,paid,expected", CLAWBACK_CASES, ids=[c[0] for c in CLAWBACK_CASES])
def test_clawbacks_due(tmp_path, name, facts, paid, expected):
    from policies import get_pack
    from subsidy import params

    url = make_ledger("sqlite", tmp_path)
    cats = ["tech_provincial", "qual_grade1", "qual_design"]
    for i, on in enumerate(paid):
        L.record(url, write(tmp_path, f"p{i}.json", result(2023, ln(f"A-{i}", cats[i], 1000 + i))),
                 approved_by="张三", paid_on=dt.date.fromisoformat(on), today=dt.date(2030, 1, 1))
    pack = get_pack()
    dues = L.clawbacks_due(url, [_company(A, **facts), _company(B)], pack=pack, params=params.defaults(pack))
    assert [(str(d.payout.paid_on), d.reason_code) for d in dues] == expected


def test_recorded_clawbacks_stay_open_until_returned(ledger_url, tmp_path):
    from policies import get_pack
    from subsidy import params

    rec(ledger_url, tmp_path, result(2023, ln("A-1", "tech_provincial", 200000)))
    pack = get_pack()
    dues = L.clawbacks_due(ledger_url, [_company(A, fraud=True)], pack=pack, params=params.defaults(pack))
    assert L.record_clawbacks(ledger_url, dues, decided_by="李四", decided_on=dt.date(2025, 1, 2)) == 1
    assert L.record_clawbacks(ledger_url, dues, decided_by="李四") == 0  # already recorded
    [p] = L.payouts(ledger_url)
    assert p.clawback.open and p.clawback.reason_code == "FRAUD"
    assert L.mark_returned(ledger_url, A, returned_on=dt.date(2025, 2, 1)) == 1
    [p] = L.payouts(ledger_url)
    assert not p.clawback.open and p.clawback.returned_on == dt.date(2025, 2, 1)
