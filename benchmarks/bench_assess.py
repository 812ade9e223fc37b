"""Speed and memory of `subsidy assess`, part by part, against the references measured in the same run.

    .venv/bin/python benchmarks/bench_assess.py [--sizes 10000 100000 1000000] [--repeat 3] [--keep DIR]
                                                [--peer-python PATH] [--peer-dir DIR]

For each N it generates an application workbook of N claims over N/4 companies (with HQ, deposit and history rows,
other-policy amounts, blank taxes, tight caps, co-winners and bad rows, so that every step of the pipeline works),
then runs, in turn and ``--repeat`` times (once from 1M claims up), each of these as a separate process:

* **parts** — the library in one process: ``read_workbook`` (read), ``engine.assess`` (engine), ``write_schedule``
  (write), ``write_json`` (JSON); each part's wall and CPU seconds;
* **calamine** — python-calamine reading every sheet of the same workbook (``to_python``): the reader's reference;
* **peer** — the OpenFisca model of the core rules (``../shared/peers/openfisca_jdz``, run with its own venv):
  build (strings → arrays → simulation) + compute of N claims over N/4 companies of its own generated data;
* **engine on the peer's data** — ``engine.assess`` alone on the peer's very claims and companies (its generator
  is plain Python), so that the engine and the peer compute the same batch; and the peer's plain-Python reference
  of the same rules (``ref.py``: dicts, loops and Decimal, no explanations and no line objects) for scale;
* **floor** — the unavoidable I/O: calamine reads every sheet and the project's own SpreadsheetML writer writes
  one 9-column row per claim (the tightest I/O we know); **floor (openpyxl)** — the same with openpyxl in
  write-only mode (the floor of the earlier measurements, kept so the history stays comparable);
* **assess** — ``subsidy assess IN.xlsx --year 2024 -o OUT.xlsx`` (and with ``--json OUT.json``).

Times are wall clock, reported as the median over the repetitions; a ratio is taken within each repetition (both
sides measured one after the other) and reported as its median with its spread (min–max), which says how noisy
the machine was. Peak memory is each child's own VmHWM (read from /proc as it exits), not ru_maxrss (which, on
Linux, starts from the parent's peak).

Bars (issue 12), checked at 100k claims: engine ≤ 2× the peer on the same data (goal: ≤ 1×), reader ≤ 2× calamine,
`subsidy assess` ≤ 2× the floor, peak RSS of `subsidy assess` ≤ 250 MB; at 1M claims `subsidy assess` completes.
Exit status 1 when a bar is missed, 0 otherwise. Speed is measured here, never tested: `.ci/run` does not run this.
The peer is skipped, with a line saying so, when its venv is absent.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from subsidy.uscc import check_char  # noqa: E402

PYTHON = sys.executable
SUBSIDY = str(Path(sys.executable).with_name("subsidy"))
YEAR = 2024
PEER_DIR = ROOT.parent / "shared" / "peers" / "openfisca_jdz"
PEER_PYTHON = ROOT.parent / "ofenv" / "bin" / "python"

REGIONS = ["珠山区", "昌江区", "浮梁县", "乐平市", "高新区", "昌南新区", "市本级"]
#: (label, keyed by subject) — weights roughly as a real batch: many honours and 工法, few qualifications
CATEGORIES = [
    ("鲁班奖", True, 1), ("杜鹃花奖", True, 3), ("省优良工程", True, 12), ("市优良工程", True, 10),
    ("市安全文明工地", True, 10), ("国家级工法", True, 6), ("省级工法", True, 14), ("主编国家级行业标准", True, 2),
    ("主编省级行业标准", True, 6), ("施工总承包特级资质", False, 1), ("施工总承包一级资质", False, 3),
    ("监理综合资质", False, 1), ("设计行业综合甲级资质", False, 1), ("国家级装配式建筑产业基地", False, 1),
    ("省级装配式建筑产业基地", False, 2), ("国家级企业技术中心", False, 1), ("省级企业技术中心", False, 3),
]

#: the child processes' own peak memory: VmHWM, read from /proc as the process exits
PEAK = """
import atexit, os, re
PEAK_FILE = os.environ["BENCH_PEAK_FILE"]
def _peak():
    with open("/proc/self/status") as f:
        kb = int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1))
    with open(PEAK_FILE, "w") as f:
        f.write(str(kb))
atexit.register(_peak)
"""

#: `subsidy assess …` in a process that records its peak (the console script, with the recorder in front)
ASSESS = PEAK + """
import sys
sys.argv = ["subsidy", *sys.argv[1:]]
from subsidy.cli import run
run()
"""


def uscc(n: int) -> str:
    first17 = f"91360203MA{n:07d}"
    return first17 + check_char(first17)


def generate(path: Path, n: int, seed: int = 2024) -> None:
    """N claims over N/4 companies, plus N/40 HQ rows, N/10 deposits and N/10 history rows."""
    from openpyxl import Workbook

    rnd = random.Random(seed)
    n_companies = max(1, n // 4)
    codes = [uscc(i + 1) for i in range(n_companies)]
    wb = Workbook(write_only=True)

    ws = wb.create_sheet("企业")
    ws.append(["统一社会信用代码", "企业名称", "注册地", "信用评价分", "列入黑名单", "拖欠农民工工资",
               "质量安全事故等级", "弄虚作假", "地方留成税收(元)", "迁出日期"])
    for i, code in enumerate(codes):
        r = rnd.random()
        region = "市外" if r < 0.03 else REGIONS[i % len(REGIONS)]
        score = None if rnd.random() < 0.1 else round(rnd.uniform(60, 100), 1)
        tax = None if rnd.random() < 0.03 else rnd.choice([50_000, 120_000, 300_000, 800_000, 2_000_000, 5_000_000])
        ws.append([code, f"景德镇第{i + 1}建设工程有限公司", region, score,
                   "是" if rnd.random() < 0.01 else "否", "是" if rnd.random() < 0.01 else "否",
                   rnd.choice(["无"] * 50 + ["一般", "较大"]), "是" if rnd.random() < 0.005 else "否",
                   f"{tax:,}" if tax is not None and rnd.random() < 0.3 else tax,
                   dt.date(2024, 9, 30) if rnd.random() < 0.005 else None])

    labels = [c for c in CATEGORIES for _ in range(c[2])]
    ws = wb.create_sheet("申报事项")
    ws.append(["申报编号", "统一社会信用代码", "奖励类别", "项目或证书名称", "获批日期", "其他政策名称",
               "其他政策金额(元)", "其他政策已兑现"])
    for i in range(n):
        label, by_subject, _ = rnd.choice(labels)
        code = codes[rnd.randrange(n_companies)]
        subject = f"项目{rnd.randrange(n // 2 + 1)}号楼" if by_subject else f"D2360{rnd.randrange(10 ** 5):05d}"
        on = dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(366)) if rnd.random() < 0.95 else \
            dt.date(2023, 6, 1) + dt.timedelta(days=rnd.randrange(200))
        approved = on if rnd.random() < 0.6 else rnd.choice([on.isoformat(), f"{on.year}/{on.month}/{on.day}",
                                                             f"{on.year}年{on.month}月{on.day}日"])
        if rnd.random() < 0.002:
            approved = "2024-13-45"  # a bad cell: the row is pending, still one line
        other = rnd.random() < 0.1
        ws.append([f"2024-{i + 1:06d}", code, label, subject, approved,
                   "市级科技奖励" if other else None, rnd.choice([10_000, "2万", 100_000]) if other else None,
                   rnd.choice(["是", "否"]) if other else None])

    ws = wb.create_sheet("总部迁入")
    ws.append(["申报编号", "统一社会信用代码", "迁入方式", "资质等级", "落户认定日期", "地方财政贡献(元)"])
    for i in range(max(1, n // 40)):
        ws.append([f"HQ-{i + 1:05d}", codes[rnd.randrange(n_companies)], rnd.choice(["总部迁入", "设立子公司"]),
                   rnd.choice(["施工总承包一级", "施工总承包特级", "施工总承包二级"]),
                   dt.date(2023, 3, 1) + dt.timedelta(days=rnd.randrange(600)), rnd.randrange(10_000, 2_000_000)])

    ws = wb.create_sheet("质量保证金")
    ws.append(["统一社会信用代码", "项目名称", "工程价款结算总额(元)"])
    for i in range(max(1, n // 10)):
        ws.append([codes[rnd.randrange(n_companies)], f"结算项目{i + 1}", rnd.randrange(1_000_000, 200_000_000)])

    ws = wb.create_sheet("已兑现奖励")
    ws.append(["统一社会信用代码", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期", "兑现金额(元)"])
    for i in range(max(1, n // 10)):
        label, by_subject, _ = rnd.choice(labels)
        if label.startswith("市"):
            continue
        ws.append([codes[rnd.randrange(n_companies)], label,
                   f"项目{rnd.randrange(n // 2 + 1)}号楼" if by_subject else "", 2023,
                   dt.date(2023, 12, 20), rnd.choice([20_000, 50_000, 200_000])])
    wb.save(path)


# --------------------------------------------------------------------------- the children (one process each)


def _clock():
    return time.perf_counter(), time.process_time()


def _since(start) -> dict:
    wall, cpu = start
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def child_parts(src: str, work: str) -> dict:
    """read → engine → write → JSON in one process, each part timed."""
    from policies import get_pack

    from subsidy import engine, params
    from subsidy.jsonout import write_json
    from subsidy.workbook.reader import read_workbook
    from subsidy.workbook.writer import write_schedule

    pack = get_pack()
    prm = params.defaults(pack)
    out = {}
    t = _clock()
    batch = read_workbook(src, pack=pack)
    out["read"] = _since(t)
    t = _clock()
    result = engine.assess(batch, year=YEAR, pack=pack, params=prm)
    out["engine"] = _since(t)
    del batch
    t = _clock()
    write_schedule(result, Path(work) / "parts.xlsx")
    out["write"] = _since(t)
    t = _clock()
    write_json(result, str(Path(work) / "parts.json"))
    out["json"] = _since(t)
    out["lines"] = len(result.lines)
    return out


def child_calamine(src: str) -> dict:
    """python-calamine reading every sheet: what any reader of this workbook must at least do."""
    from python_calamine import CalamineWorkbook

    t = _clock()
    wb = CalamineWorkbook.from_path(src)
    cells = 0
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        cells += sum(len(r) for r in rows)
    return {"calamine": _since(t), "cells": cells}


def child_floor(src: str, out: str, n: int, writer: str) -> dict:
    """The I/O floor: calamine reads every sheet, then ``writer`` (own: the project's SpreadsheetML writer;
    openpyxl: openpyxl write-only) writes n rows of 9 columns, as the 奖励明细 sheet has one row per claim."""
    from python_calamine import CalamineWorkbook

    t = _clock()
    wb = CalamineWorkbook.from_path(src)
    rows = []
    for name in wb.sheet_names:
        rows.extend(wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
    headers = ["申报编号", "企业", "奖励类别", "条款", "标准金额", "核定金额", "状态", "原因", "出资财政"]

    def row(i: int) -> list:
        r = rows[i % len(rows)]
        return [str(r[0]), str(r[1]), str(r[2]), "第6条", 50000.0, 50000.0, "已核定", str(r[3]) + "：按标准金额奖励",
                "珠山区财政"]

    if writer == "openpyxl":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        ws = book.create_sheet("奖励明细")
        ws.append(headers)
        for i in range(n):
            ws.append(row(i))
        book.save(out)
    else:
        from decimal import Decimal

        from subsidy.workbook import writer as w

        book = w._Book()
        sheet = book.sheet("奖励明细", [14] * 9, headers, n)
        money = sheet.money
        for i in range(n):
            r = row(i)
            r[4] = r[5] = money(Decimal("50000.00"))
            sheet.append(r)
        book.close()
        w.save(book.wb, out)
    return {"floor": _since(t)}


def child_peer_engine(peer_dir: str, n: int) -> dict:
    """engine.assess alone on the peer's own generated claims and companies (its generator is plain Python)."""
    sys.path.insert(0, peer_dir)
    import gen  # the peer's deterministic data
    from decimal import Decimal

    from policies import get_pack

    from subsidy import engine, params
    from subsidy.models import Batch, Claim, Company, DepositRow, Rows

    pack = get_pack()
    prm = params.defaults(pack)
    data = gen.generate(n)
    c = data["companies"]
    companies = tuple(
        Company.trusted(credit_code=cid, name=f"企业{cid}", region=REGIONS[i % len(REGIONS)],
                        credit_score=Decimal(score) if score else None, blacklisted=black == "1",
                        wage_arrears=wage == "1", local_retained_tax=Decimal(tax), row=i + 2)
        for i, (cid, score, black, wage, tax) in enumerate(zip(
            c["company_id"], c["credit_score"], c["blacklisted"], c["wage_arrears"], c["retained_tax"])))
    k = data["claims"]
    labels = {label: pack.category_by_label(label).code for label in set(k["category"])}
    on = dt.date(YEAR, 5, 1)
    # the claims as the reader hands them over: columns (models.Rows), one per field of Claim
    m = len(k["claim_id"])
    claims = Rows(Claim, {
        "claim_id": list(k["claim_id"]), "credit_code": list(k["company_id"]),
        "category": [labels[label] for label in k["category"]], "subject": list(k["project_id"]),
        "approved_on": [on] * m, "other_policy_name": [""] * m, "other_policy_amount": [Decimal("0")] * m,
        "other_policy_paid": [False] * m, "sheet": ["申报事项"] * m, "row": list(range(2, m + 2))})
    p = data["projects"]
    deposits = tuple(DepositRow.trusted(credit_code=cid, project=pid, settlement_amount=Decimal(amount), row=r + 2)
                     for r, (cid, pid, amount) in enumerate(zip(
                         p["company_id"], p["project_id"], p["settlement_amount"])))
    batch = Batch(companies=companies, deposits=deposits).model_copy(update={"claims": claims})
    t = _clock()
    result = engine.assess(batch, year=YEAR, pack=pack, params=prm)
    return {"engine_peer_data": _since(t), "lines": len(result.lines)}


#: run by the peer's own python: build (prepare + simulation) and compute of n claims, as its bench.py does
PEER = PEAK + """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import bench, gen
from jdz_model import JDZTaxBenefitSystem
tbs = JDZTaxBenefitSystem()
data = gen.generate(int(sys.argv[2]))
t0 = time.perf_counter(); c0 = time.process_time()
arrays = bench.prepare(data)
sim = bench.simulate(tbs, arrays)
out = bench.compute(sim)
t1 = time.perf_counter(); c1 = time.process_time()
print(json.dumps({"peer": {"wall": t1 - t0, "cpu": c1 - c0}}))
"""

#: the peer's plain-Python reference of the same rules (dicts, loops, Decimal: no explanation, no line objects)
PLAIN = PEAK + """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import gen, ref
data = gen.generate(int(sys.argv[2]))
t0 = time.perf_counter()
companies, projects = ref.build(data)
ref.compute(companies, projects)
print(json.dumps({"plain": {"wall": time.perf_counter() - t0}}))
"""

CHILDREN = {"parts": child_parts, "calamine": child_calamine, "floor": child_floor, "peer-engine": child_peer_engine}


# --------------------------------------------------------------------------- running them


def run_child(cmd: list[str], work: Path, *, cwd: Path | None = None) -> dict:
    """Run one child; its JSON line (if it prints one) plus its peak memory in MB. A failure is fatal."""
    peak = work / f"peak-{os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, "BENCH_PEAK_FILE": str(peak), "SUBSIDY_LEDGER": ""}
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    out = {"process": wall}
    last = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else []
    if last and last[0].startswith("{"):
        out.update(json.loads(last[0]))
    if peak.exists():
        out["peak_mb"] = int(peak.read_text()) / 1024
        peak.unlink()
    return out


def child_cmd(kind: str, *args: object) -> list[str]:
    """This script as a child doing ``kind``, with the peak recorder in front."""
    return [PYTHON, "-c", PEAK + f"\nimport runpy\nrunpy.run_path({str(Path(__file__))!r}, run_name='__main__')",
            "--child", kind, *map(str, args)]


def measure(n: int, src: Path, work: Path, repeat: int, peer: tuple[Path, Path] | None) -> list[dict]:
    """``repeat`` rounds; in each, every measurement once, one after the other (so ratios pair up)."""
    rounds = []
    for r in range(repeat):
        m: dict = {}
        m["calamine"] = run_child(child_cmd("calamine", src), work)
        m["parts"] = run_child(child_cmd("parts", src, work), work)
        if peer is not None:
            m["peer"] = run_child([str(peer[0]), "-c", PEER, str(peer[1]), str(n)], work, cwd=peer[1])
            m["peer_engine"] = run_child(child_cmd("peer-engine", peer[1], n), work)
            m["plain"] = run_child([PYTHON, "-c", PLAIN, str(peer[1]), str(n)], work)
        m["floor"] = run_child(child_cmd("floor", src, work / "floor.xlsx", n, "own"), work)
        m["floor_openpyxl"] = run_child(child_cmd("floor", src, work / "floor-openpyxl.xlsx", n, "openpyxl"), work)
        cmd = ["assess", str(src), "--year", str(YEAR), "-o", str(work / f"out-{n}.xlsx")]
        m["assess"] = run_child([PYTHON, "-c", ASSESS, *cmd], work)
        m["assess_json"] = run_child([PYTHON, "-c", ASSESS, *cmd, "--json", str(work / f"out-{n}.json")], work)
        rounds.append(m)
        print(f"N={n} round {r + 1}/{repeat}: "
              f"read {m['parts']['read']['wall']:.2f}s engine {m['parts']['engine']['wall']:.2f}s "
              f"assess {m['assess']['process']:.2f}s ({m['assess'].get('peak_mb', 0):.0f} MB)", file=sys.stderr)
    return rounds


# --------------------------------------------------------------------------- the report


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def spread(xs: list[float]) -> str:
    return f"{min(xs):.2f}–{max(xs):.2f}" if len(xs) > 1 else "—"


def report(results: dict[int, list[dict]], peer_note: str, repeat: int) -> bool:
    ok = True
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}, "
          f"{platform.system()}; {datetime_now()}; median of {repeat} rounds (one round from 1M claims up); "
          "ratios paired within a round, spread = min–max over the rounds")
    print(peer_note)
    print()
    print("| claims | part | subsidy (s) | reference | reference (s) | ratio (median) | spread | bar |")
    print("|---:|---|---:|---|---:|---:|---:|---|")
    for n, rounds in results.items():
        def times(kind: str, key: str) -> list[float]:
            return [r[kind][key]["wall"] if isinstance(r[kind][key], dict) else r[kind][key] for r in rounds]

        def line(part: str, mine: list[float], ref_name: str, ref: list[float] | None, bar: float | None) -> None:
            nonlocal ok
            if ref is None:
                print(f"| {n:,} | {part} | {med(mine):.2f} | {ref_name} | — | — | — | — |")
                return
            ratios = [a / b for a, b in zip(mine, ref)]
            verdict = "—"
            if bar is not None and n == 100_000:
                good = med(ratios) <= bar
                ok &= good
                verdict = f"≤ {bar:g}× {'met' if good else 'MISSED'}"
            print(f"| {n:,} | {part} | {med(mine):.2f} | {ref_name} | {med(ref):.2f} | {med(ratios):.2f} | "
                  f"{spread(ratios)} | {verdict} |")

        has_peer = "peer" in rounds[0]
        read, engine = times("parts", "read"), times("parts", "engine")
        line("read the workbook", read, "python-calamine, every sheet", times("calamine", "calamine"), 2)
        line("`engine.assess`, the peer's data", [r["peer_engine"]["engine_peer_data"]["wall"] for r in rounds]
             if has_peer else [float("nan")], "OpenFisca build + compute",
             times("peer", "peer") if has_peer else None, 2 if has_peer else None)
        line("`engine.assess`, this workbook", engine, "OpenFisca build + compute",
             times("peer", "peer") if has_peer else None, None)
        line("`engine.assess`, the peer's data", [r["peer_engine"]["engine_peer_data"]["wall"] for r in rounds]
             if has_peer else [float("nan")], "plain Decimal loop (peer's ref.py)",
             times("plain", "plain") if has_peer else None, None)
        line("write the schedule", times("parts", "write"), "—", None, None)
        line("write the JSON", times("parts", "json"), "—", None, None)
        assess = [r["assess"]["process"] for r in rounds]
        line("`subsidy assess`", assess, "floor: calamine + own writer",
             [r["floor"]["process"] for r in rounds], 2)
        line("`subsidy assess`", assess, "floor: calamine + openpyxl",
             [r["floor_openpyxl"]["process"] for r in rounds], None)
        line("`subsidy assess --json`", [r["assess_json"]["process"] for r in rounds],
             "floor: calamine + own writer", [r["floor"]["process"] for r in rounds], None)
    print()
    print("| claims | peak RSS `subsidy assess` (MB) | with `--json` (MB) | parts child (MB) | calamine (MB) | "
          "floor (MB) | peer (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    peaks = {}
    for n, rounds in results.items():
        def peak(kind: str) -> float:
            return max(r[kind].get("peak_mb", 0) for r in rounds) if kind in rounds[0] else float("nan")

        peaks[n] = peak("assess")
        print(f"| {n:,} | {peak('assess'):.0f} | {peak('assess_json'):.0f} | {peak('parts'):.0f} | "
              f"{peak('calamine'):.0f} | {peak('floor'):.0f} | {peak('peer'):.0f} |")
        if n == 100_000:
            good = peaks[n] <= 250
            ok &= good
            print(f"|  | bar: ≤ 250 MB at 100k {'met' if good else 'MISSED'} | | | | | |")
    sizes = sorted(peaks)
    if len(sizes) > 1:
        lo, hi = sizes[-2], sizes[-1]
        per = (peaks[hi] - peaks[lo]) * 1024 * 1024 / (hi - lo)
        print()
        print(f"growth: from {lo:,} to {hi:,} claims each further claim costs {per:,.0f} bytes of peak memory")
    if 1_000_000 in results:
        print(f"1,000,000 claims: `subsidy assess` completed in {results[1_000_000][0]['assess']['process']:.0f} s")
    print()
    print("bars met" if ok else "BARS MISSED")
    return ok


def datetime_now() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M")


def peer_setup(args) -> tuple[tuple[Path, Path] | None, str]:
    python, where = Path(args.peer_python), Path(args.peer_dir)
    if not (where / "bench.py").exists():
        return None, f"peer: skipped — no OpenFisca model at {where}"
    if not python.exists():
        return None, (f"peer: skipped — no OpenFisca venv at {python} (see {where / 'README.md'}: "
                      "python3 -m venv VENV && VENV/bin/pip install openfisca-core; then --peer-python VENV/bin/python)")
    return (python, where), f"peer: OpenFisca model at {where}, run by {python}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3, help="rounds per size (sizes from 1M claims up: one)")
    ap.add_argument("--keep", type=Path, help="keep the generated inputs and outputs in this directory")
    ap.add_argument("--peer-python", default=os.environ.get("SUBSIDY_PEER_PYTHON", str(PEER_PYTHON)),
                    help="the python of the OpenFisca peer's venv")
    ap.add_argument("--peer-dir", default=str(PEER_DIR), help="the OpenFisca peer (its bench.py and gen.py)")
    ap.add_argument("--generate", nargs=2, metavar=("PATH", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.generate:
        generate(Path(args.generate[0]), int(args.generate[1]))
        return 0
    if args.child:
        kind, *rest = args.child
        fn = CHILDREN[kind]
        if kind == "parts":
            out = fn(rest[0], rest[1])
        elif kind == "calamine":
            out = fn(rest[0])
        elif kind == "floor":
            out = fn(rest[0], rest[1], int(rest[2]), rest[3])
        else:
            out = fn(rest[0], int(rest[1]))
        print(json.dumps(out))
        return 0

    peer, note = peer_setup(args)
    print(note, file=sys.stderr)
    work = args.keep or Path(tempfile.mkdtemp(prefix="subsidy-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[int, list[dict]] = {}
    try:
        for n in args.sizes:
            src = work / f"claims-{n}.xlsx"
            if not src.exists():
                t = time.perf_counter()
                subprocess.run([PYTHON, __file__, "--generate", str(src), str(n)], check=True)
                print(f"generated {src.name} ({src.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s",
                      file=sys.stderr)
            results[n] = measure(n, src, work, 1 if n >= 1_000_000 else args.repeat, peer)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if report(results, note, args.repeat) else 1


if __name__ == "__main__":
    sys.exit(main())
