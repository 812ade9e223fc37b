"""What a clerk prints (issue 9): the example's award schedule, a schedule audit report and a ledger audit report,
rendered by LibreOffice headless to PDF (one conversion for the three workbooks) and read back with pdftotext.

Checked: totals as in the JSON; every 原因 sentence whole; every page numbered 第 N 页 共 M 页; paper per sheet;
nothing printed below 9 pt (a sheet shrunk to fit would be); no text running into the next row (a row too low for
its wrapped text); no ``###``; page counts a clerk would print; charts one page each with their labels.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from decimal import Decimal
from itertools import combinations
from pathlib import Path

import pytest

from subsidy.cli import main

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "申报汇总表-2024.xlsx"
CONFIG = 'min_credit_score = 75\ncap_allocation = "priority"\n'

#: Calibri's metric twin: without it LibreOffice lays out other widths than Excel (.ci/run installs it)
CARLITO = bool(shutil.which("fc-list")) and "Carlito" in subprocess.run(
    ["fc-list", ":family=Carlito", "family"], capture_output=True, text=True).stdout

pytestmark = pytest.mark.skipif(not (SOFFICE and PDFTOTEXT and CARLITO),
                                reason="LibreOffice、pdftotext 或 Carlito 字体（fonts-crosextra-carlito）未安装")

A4_LANDSCAPE, A4_PORTRAIT, A3_LANDSCAPE = (842, 595), (595, 842), (1191, 842)
#: height of a word box per point of font size in these fonts (Noto Sans CJK, Carlito): 9 pt prints 11.7 pt tall
BOX_PER_POINT = 1.3


class Pdf:
    def __init__(self, path: Path):
        self.path = path
        self.pages: list[str] = []  # -layout text of each page
        self.sizes: list[tuple[int, int]] = []
        self.words: list[list[tuple[float, float, float, float, str]]] = []
        raw = subprocess.run([PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, text=True).stdout
        self.pages = raw.split("\f")[:-1]
        self.raw = subprocess.run([PDFTOTEXT, "-raw", str(path), "-"], capture_output=True, text=True).stdout
        bbox = subprocess.run([PDFTOTEXT, "-bbox", str(path), "-"], capture_output=True, text=True).stdout
        for page in bbox.split("<page ")[1:]:
            w, h = re.match(r'width="([\d.]+)" height="([\d.]+)"', page).groups()
            self.sizes.append((round(float(w)), round(float(h))))
            self.words.append([(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)])

    def sheet(self, i: int) -> str:
        """The sheet a page belongs to, from the page header (…· 奖励明细)."""
        m = re.search(r"· (\S+)", self.pages[i].strip().splitlines()[0])
        return m.group(1) if m else ""

    def per_sheet(self) -> Counter:
        return Counter(self.sheet(i) for i in range(len(self.pages)))


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    sched, js = tmp / "奖励明细表.xlsx", tmp / "结果.json"
    assert main(["assess", str(EXAMPLE), "--year", "2024", "-o", str(sched), "--json", str(js)]) == 0
    # an audit with differences: the schedule made with another 口径, audited without it
    (tmp / "口径.toml").write_text(CONFIG, encoding="utf-8")
    other = tmp / "other.xlsx"
    assert main(["assess", str(EXAMPLE), "--year", "2024", "-o", str(other), "--config", str(tmp / "口径.toml")]) == 0
    assert main(["audit", str(other), "--applications", str(EXAMPLE), "-o", str(tmp / "审计报告.xlsx")]) == 1
    url = f"sqlite:///{tmp / 'ledger.db'}"
    assert main(["ledger", "init", "--ledger", url]) == 0
    assert main(["ledger", "record", str(js), "--ledger", url, "--approved-by", "张三", "--paid-on", "2025-01-15"]) == 0
    assert main(["audit", "--ledger", url, "-o", str(tmp / "账本审计.xlsx")]) == 0
    names = ["奖励明细表", "审计报告", "账本审计"]
    p = subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp}/lo-profile", "--convert-to", "pdf",
                        "--outdir", str(tmp), *[str(tmp / f"{n}.xlsx") for n in names]],
                       capture_output=True, text=True, timeout=600)
    for n in names:
        assert (tmp / f"{n}.pdf").exists(), p.stderr
    return {n: Pdf(tmp / f"{n}.pdf") for n in names} | {"result": json.loads(js.read_text(encoding="utf-8"))}


def test_libreoffice_renders_the_schedule_with_the_json_totals(printed):
    text, res = "".join(printed["奖励明细表"].pages), printed["result"]
    assert f"{Decimal(res['totals']['payable']):,.2f}" in text
    for payer, amount in res["totals"]["by_payer"].items():
        assert payer in text and f"{Decimal(amount):,.2f}" in text
    assert "2024-001" in text and "H2024-03" in text  # the line sheet rendered, first and last line


def _flat(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_every_reason_of_the_example_prints_whole(printed):
    """Each 原因 sentence, line breaks and spaces aside, is in the printed schedule in one piece (text in
    drawing order: a wrapped cell's lines follow each other)."""
    flat = _flat(printed["奖励明细表"].raw)
    reasons = [r["message"] for ln in printed["result"]["lines"] for r in ln["reasons"]]
    assert len(reasons) > 40
    missing = [r for r in reasons if _flat(r) not in flat]
    assert not missing


@pytest.mark.parametrize("name", ["奖励明细表", "审计报告", "账本审计"])
def test_every_page_carries_its_number_and_the_policy(printed, name):
    pdf = printed[name]
    n = len(pdf.pages)
    for i, page in enumerate(pdf.pages, 1):
        assert f"第{i}页共{n}页" in _flat(page), (name, i)  # the footer 第 &P 页 共 &N 页
        assert "景府办字〔2023〕2号" in page.strip().splitlines()[0], (name, i)


@pytest.mark.parametrize("name", ["奖励明细表", "审计报告", "账本审计"])
def test_nothing_prints_below_9_point(printed, name):
    """Word boxes are 1.3× the font size in these fonts: a sheet shrunk to fit its page would print smaller."""
    pdf = printed[name]
    for i, words in enumerate(pdf.words):
        small = [w[4] for w in words if w[3] - w[1] < 9 * BOX_PER_POINT - 0.1]
        assert not small, (name, pdf.sheet(i), small[:5])


@pytest.mark.parametrize("name", ["奖励明细表", "审计报告", "账本审计"])
def test_no_text_runs_into_the_next_row(printed, name):
    """A row too low for its wrapped text lets the text run over the row below: two words would overlap."""
    pdf = printed[name]
    for i, words in enumerate(pdf.words):
        clash = [(a[4], b[4]) for a, b in combinations(words, 2)
                 if min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 4]
        assert not clash, (name, pdf.sheet(i), clash[:3])
        assert "###" not in pdf.pages[i], (name, pdf.sheet(i))


def test_the_schedule_pages_a_clerk_prints(printed):
    pdf = printed["奖励明细表"]
    pages = pdf.per_sheet()
    assert set(pages) == {"汇总", "奖励明细", "企业汇总", "出资汇总", "质量保证金", "追缴清单", "数据问题", "口径说明"}
    assert pages["汇总"] == 1  # with its signature block
    assert pages["奖励明细"] <= 4 and all(pages[s] <= 2 for s in pages if s != "奖励明细")
    assert len(pdf.pages) <= 14
    for i, size in enumerate(pdf.sizes):
        expected = {"汇总": A4_PORTRAIT, "奖励明细": A3_LANDSCAPE, "质量保证金": A3_LANDSCAPE}
        assert size == expected.get(pdf.sheet(i), A4_LANDSCAPE), pdf.sheet(i)
    assert "经办人" in pdf.pages[0] and "负责人" in pdf.pages[0] and "日期" in pdf.pages[0]


def test_the_schedule_audit_report_pages(printed):
    pdf = printed["审计报告"]
    pages = pdf.per_sheet()
    assert list(pages) == ["审计结论", "差异明细", "出资汇总", "封顶核查"]
    assert pages["审计结论"] == 1 and len(pdf.pages) <= 8
    first = _flat(pdf.pages[0])
    assert first.index("口径不同") < first.index("信用评价分下限（min_credit_score）") < first.index("结论不一致")
    assert all(size == A4_LANDSCAPE for size in pdf.sizes)


def test_the_ledger_audit_report_pages_with_one_page_per_chart(printed):
    pdf = printed["账本审计"]
    pages = pdf.per_sheet()
    charts = [s for s in pages if s.startswith("图-")]
    assert charts == ["图-按年度", "图-按出资财政", "图-按条款", "图-按注册地", "图-年度出资"]
    assert all(pages[s] == 1 for s in charts)
    assert len(pdf.pages) <= 16
    for i in range(len(pdf.pages)):
        if pdf.sheet(i) == "图-按年度":
            assert "按年度兑现金额（元）" in pdf.pages[i] and "7,370,000.00" in pdf.pages[i]
            assert "奖励年度" in pdf.pages[i] and "金额（元）" in pdf.pages[i]
        if pdf.sheet(i) == "图-按注册地":
            assert re.search(r"\d+(\.\d)?%", pdf.pages[i])
