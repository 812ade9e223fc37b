"""Benchmark `subsidy assess` as a whole process against the I/O floor, measured in the same run.

    .venv/bin/python benchmarks/bench_assess.py [--sizes 10000 100000] [--repeat 3] [--json] [--keep DIR]

For each N it generates an application workbook of N claims over N/4 companies (with HQ, deposit and history rows,
other-policy amounts, blank taxes, tight caps and bad rows, so that every step of the pipeline works), then times
as separate processes (wall clock, best of ``--repeat``; peak RSS of that child from ``os.wait4``):

* **assess** — ``subsidy assess IN.xlsx --year 2024 -o OUT.xlsx`` (``--json`` adds ``--json OUT.json``);
* **floor** — a Python process that only does the unavoidable I/O: python-calamine reads every sheet of the same
  input, and openpyxl in write-only mode writes as many rows (one 9-column row per claim) to an .xlsx.

It prints a markdown table with the ratio assess / floor and the peak memory, then the scaling of the largest N
against the smallest. Goals (issue 5): ratio ≤ 1.5 (aim 1.3) at 100k, peak RSS ≤ 500 MB at 100k, 100k within
12× of 10k. Exit status 1 when a goal is missed (so CI can run it), 0 otherwise.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
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

REGIONS = ["珠山区", "昌江区", "浮梁县", "乐平市", "高新区", "昌南新区", "市本级"]
#: (label, keyed by subject) — weights roughly as a real batch: many honours and 工法, few qualifications
CATEGORIES = [
    ("鲁班奖", True, 1), ("杜鹃花奖", True, 3), ("省优良工程", True, 12), ("市优良工程", True, 10),
    ("市安全文明工地", True, 10), ("国家级工法", True, 6), ("省级工法", True, 14), ("主编国家级行业标准", True, 2),
    ("主编省级行业标准", True, 6), ("施工总承包特级资质", False, 1), ("施工总承包一级资质", False, 3),
    ("监理综合资质", False, 1), ("设计行业综合甲级资质", False, 1), ("国家级装配式建筑产业基地", False, 1),
    ("省级装配式建筑产业基地", False, 2), ("国家级企业技术中心", False, 1), ("省级企业技术中心", False, 3),
]

FLOOR = r"""
import sys
from python_calamine import CalamineWorkbook
from openpyxl import Workbook
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
wb = CalamineWorkbook.from_path(src)
rows = []
for name in wb.sheet_names:
    rows.extend(wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
book = Workbook(write_only=True)
ws = book.create_sheet("奖励明细")
ws.append(["申报编号", "企业", "奖励类别", "条款", "标准金额", "核定金额", "状态", "原因", "出资财政"])
for i in range(n):
    r = rows[i % len(rows)]
    ws.append([str(r[0]), str(r[1]), str(r[2]), "第6条", 50000.0, 50000.0, "已核定", str(r[3]) + "：按标准金额奖励",
               "珠山区财政"])
book.save(out)
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


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one child process; its output is discarded, its failure fatal.

    The peak is the child's ru_maxrss from os.wait4; on Linux it starts from this process's own peak at fork,
    which stays small (~40 MB: the inputs are generated in another child)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss / 1024  # Linux: KB


def best(cmd: list[str], repeat: int) -> tuple[float, float]:
    runs = [timed(cmd) for _ in range(repeat)]
    return min(w for w, _ in runs), max(m for _, m in runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    ap.add_argument("--json", action="store_true", help="also time assess with --json OUT.json")
    ap.add_argument("--keep", type=Path, help="keep the generated inputs and outputs in this directory")
    ap.add_argument("--generate", nargs=2, metavar=("PATH", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.generate:
        generate(Path(args.generate[0]), int(args.generate[1]))
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="subsidy-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for n in args.sizes:
            src = work / f"claims-{n}.xlsx"
            if not src.exists():
                t = time.perf_counter()
                # in a child: a child's ru_maxrss starts from its parent's peak (Linux), so this process stays small
                subprocess.run([PYTHON, __file__, "--generate", str(src), str(n)], check=True)
                print(f"generated {src.name} ({src.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s",
                      file=sys.stderr)
            floor = best([PYTHON, "-c", FLOOR, str(src), str(work / f"floor-{n}.xlsx"), str(n)], args.repeat)
            cmd = [SUBSIDY, "assess", str(src), "--year", str(YEAR), "-o", str(work / f"out-{n}.xlsx")]
            assess = best(cmd, args.repeat)
            row = {"n": n, "floor_s": floor[0], "floor_mb": floor[1], "assess_s": assess[0], "assess_mb": assess[1]}
            if args.json:
                with_json = best(cmd + ["--json", str(work / f"out-{n}.json")], args.repeat)
                row.update(json_s=with_json[0], json_mb=with_json[1])
            rows.append(row)
            print(f"N={n}: {json.dumps(row)}", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    print(f"machine: {os.cpu_count()} cores (nproc), Python {platform.python_version()}, {platform.machine()}, "
          f"{platform.system()}; best of {args.repeat}")
    print()
    head = "| claims | companies | floor (s) | `subsidy assess` (s) | ratio | peak RSS assess (MB) | peak RSS floor (MB) |"
    if args.json:
        head += " assess + `--json` (s) | ratio | peak RSS (MB) |"
    print(head)
    print("|" + "|".join("---:" for _ in range(head.count("|") - 1)) + "|")
    ok = True
    for r in rows:
        ratio = r["assess_s"] / r["floor_s"]
        line = (f"| {r['n']:,} | {r['n'] // 4:,} | {r['floor_s']:.2f} | {r['assess_s']:.2f} | {ratio:.2f} | "
                f"{r['assess_mb']:.0f} | {r['floor_mb']:.0f} |")
        if args.json:
            line += f" {r['json_s']:.2f} | {r['json_s'] / r['floor_s']:.2f} | {r['json_mb']:.0f} |"
        print(line)
        if r["n"] >= 100_000:
            ok &= ratio <= 1.5 and r["assess_mb"] <= 500
    if len(rows) > 1:
        lo, hi = rows[0], rows[-1]
        scale = hi["assess_s"] / lo["assess_s"]
        print()
        print(f"scaling: {hi['n']:,} claims take {scale:.1f}× the time of {lo['n']:,} "
              f"({hi['n'] / lo['n']:.0f}× the claims; goal ≤ {1.2 * hi['n'] / lo['n']:.0f}×)")
        ok &= scale <= 1.2 * hi["n"] / lo["n"]
    print("goals met" if ok else "GOALS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
