"""The self-check page end to end in headless Chromium (Debian's, driven by Playwright for Python).

Skipped only when no chromium binary exists (set SUBSIDY_CHROMIUM or install Debian's `chromium`). The tests take
screenshots at phone width and desktop; with SUBSIDY_SCREENSHOTS=docs/screenshots they refresh the README's pictures,
otherwise they go to a temporary folder and the work tree stays clean.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("SUBSIDY_SCREENSHOTS") or Path(os.environ.get("TMPDIR", "/tmp")) / "subsidy-screenshots")
CHROMIUM = os.environ.get("SUBSIDY_CHROMIUM") or shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS_REFRESH = bool(os.environ.get("SUBSIDY_SCREENSHOTS"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM or not Path(CHROMIUM).exists(), reason="no chromium binary (SUBSIDY_CHROMIUM)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from subsidy.web import create_app

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()



def shoot(page, name: str, size: dict, selector: str | None = None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(size)
    if selector:
        page.locator(selector).screenshot(path=str(SHOTS / name))
    else:
        page.screenshot(path=str(SHOTS / name), full_page=True)


def fill_claim(row, category: str, subject: str, date: str) -> None:
    row.locator("select[name=claim_category]").select_option(category)
    row.locator("input[name=claim_subject]").fill(subject)
    row.locator("input[name=claim_date]").fill(date)


def fill_typical_company(page) -> None:
    """A typical company: three claims (one superseded), one deposit project."""
    page.fill("input[name=year]", "2024")
    page.fill("input[name=name]", "景德镇瓷都建设集团有限公司")
    page.fill("input[name=credit_code]", "91360203MA0001018A")
    page.select_option("select[name=region]", "珠山区")
    page.fill("input[name=credit_score]", "85")
    page.fill("input[name=local_retained_tax]", "100万")
    fill_claim(page.locator(".claim-row").nth(0), "鲁班奖", "瓷都大厦", "2024-11-20")
    page.click("#add-claim")
    fill_claim(page.locator(".claim-row").nth(1), "杜鹃花奖", "瓷都大厦", "2024-06-01")
    page.click("#add-claim")
    fill_claim(page.locator(".claim-row").nth(2), "施工总承包一级资质", "D236000001", "2024-02-01")
    page.click("#add-claim")
    page.locator(".claim-row").nth(3).locator("button.remove").click()  # a row added by mistake goes again
    assert page.locator("#claims .claim-row").count() == 3
    page.locator("summary", has_text="质量保证金项目").click()
    page.click("#add-deposit")
    page.fill("input[name=dep_project]", "瓷都大厦")
    page.fill("input[name=dep_amount]", "8,650万")
    page.click("#submit")
    page.wait_for_selector("#result")


def test_a_company_fills_the_form_adds_claim_rows_and_reads_its_result(server, page):
    page.goto(server + "/")
    page.set_viewport_size(PHONE)
    shoot(page, "selfcheck-form-phone.png", PHONE)
    fill_typical_company(page)

    assert page.inner_text("#total-payable") == "1,000,000.00 元"
    assert page.locator("#preconditions li.pass").count() == 7
    claims = page.inner_text("#claims-result")
    assert "第6条：同一项目获多项荣誉奖励的按最高荣誉奖励" in claims
    assert page.inner_text("#cap-headroom") == "0.00 元"  # 封顶余量: exactly at the local tax
    gains = page.inner_text("#advice-gains")
    assert "封顶生效：应得合计 1,000,000.00 元" not in gains  # 1,000,000 ≤ 1,000,000: the cap does not bind
    assert "信用评价分达到 90 分及以上（现为 85 分）" in gains and "+259,500.00 元" in gains
    assert "若在 2028-01-12 前获批施工总承包特级资质，按就高不重复补差可再得 500,000.00 元" in gains
    assert "0.00 元" not in gains.replace("500,000.00 元", "").replace("259,500.00 元", "")
    assert page.locator("#advice-gains .money", has_text="+0.00").count() == 0  # nothing is a gain of 0.00 元
    assert page.locator("#advice-notes li[data-code=LOWER_TIER_NO_GAIN]").count() == 1
    assert page.locator("#advice-notes .money").count() == 0  # notes carry no amount badge
    shoot(page, "selfcheck-result-phone.png", PHONE, "#result")
    shoot(page, "selfcheck-result-desktop.png", DESKTOP, "#result")


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext), so the test reads what the paper says."""
    import subprocess

    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.rstrip("\f").split("\f")


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")
def test_printing_the_self_check_gives_the_report_alone_on_at_most_two_pages(server, page, tmp_path):
    page.goto(server + "/")
    fill_typical_company(page)
    page.emulate_media(media="print")
    assert not page.locator("#check-form").is_visible() and not page.locator("header.top").is_visible()
    pdf = tmp_path / "自查结果.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    pages = pdf_pages(pdf)
    assert 1 <= len(pages) <= 2, f"{len(pages)} pages"
    paper = re.sub(r"\s+", "", "".join(pages))
    assert "自查结果：景德镇瓷都建设集团有限公司" in paper and "统一社会信用代码91360203MA0001018A" in paper
    assert "2024年度" in paper and f"自查日期{dt.date.today()}" in paper
    assert "本结果是企业根据自己填写的情况所做的自查，不是主管部门的核定决定" in paper
    for form_word in ("开始自查", "添加申报事项", "企业情况", "上传申报表", "打印自查结果"):
        assert form_word not in paper, form_word
    assert "核定合计1,000,000.00元" in paper
    if SHOTS_REFRESH:
        import subprocess

        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(SHOTS / "selfcheck-print")],
                       check=True)


def test_a_form_mistake_is_shown_in_chinese_and_the_form_keeps_the_values(server, page):
    page.goto(server + "/")
    page.fill("input[name=year]", "2024")
    page.select_option("select[name=region]", "昌江区")
    page.fill("input[name=credit_score]", "九十")
    fill_claim(page.locator(".claim-row").nth(0), "省级工法", "钢结构滑移工法", "2024-05-05")
    page.click("#submit")
    errors = page.inner_text("#form-errors")
    assert "信用评价分：“九十”不是有效的分数（应为数字，如 85 或 92.5）" in errors
    assert page.input_value("input[name=credit_score]") == "九十"
    assert page.input_value("input[name=claim_subject]") == "钢结构滑移工法"


def test_uploading_the_example_shows_a_summary_and_downloads_a_schedule_that_opens(server, page, example, tmp_path):
    from openpyxl import load_workbook

    page.goto(server + "/upload")
    page.set_input_files("input[name=file]", str(example))
    page.fill("input[name=year]", "2024")
    page.click("button[type=submit]")
    page.wait_for_selector("#summary")
    assert page.inner_text("#summary-total") == "7,370,000.00 元"
    payers = page.inner_text("#summary-payers")
    assert [ln.split("\t")[0] for ln in payers.splitlines()][:3] == ["珠山区财政", "昌江区财政", "浮梁县财政"]
    assert "待补正\t5 条" in page.inner_text("#summary-status")
    assert "申报事项 第31行 获批日期" in page.inner_text("#summary-issues")
    shoot(page, "upload-summary-desktop.png", DESKTOP)
    shoot(page, "upload-summary-phone.png", PHONE)
    with page.expect_download() as info:
        page.click("#download")
    download = info.value
    assert download.suggested_filename == "奖励明细表-2024.xlsx"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    wb = load_workbook(target, read_only=True)
    assert {"汇总", "奖励明细", "企业汇总", "质量保证金"} <= set(wb.sheetnames)
    wb.close()


def test_the_blank_template_downloads_from_the_upload_page(server, page, tmp_path):
    from openpyxl import load_workbook

    page.goto(server + "/upload")
    with page.expect_download() as info:
        page.click("#template-link")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.name == "申报汇总表.xlsx"
    assert {"企业", "申报事项", "填表说明"} <= set(load_workbook(target, read_only=True).sheetnames)


def test_the_deposit_calculator_answers_like_the_command(server, page):
    page.goto(server + "/deposit")
    page.fill("input[name=amount]", "1,000万")
    page.fill("input[name=score]", "85")
    page.click("#deposit-form button[type=submit]")
    page.wait_for_selector("#deposit-result")
    assert page.inner_text("#deposit-amount") == "105,000.00 元"
    assert "信用评价分达到 90 分及以上：比例 0.75%，可再少缴 30,000.00 元" in page.inner_text("#deposit-cuts")
    shoot(page, "deposit-phone.png", PHONE)


def test_a_bad_upload_gets_the_cli_message_on_the_page(server, page, tmp_path):
    bad = tmp_path / "不是表格.xlsx"
    bad.write_text("hello", encoding="utf-8")
    page.goto(server + "/upload")
    page.set_input_files("input[name=file]", str(bad))
    page.fill("input[name=year]", "2024")
    page.click("button[type=submit]")
    assert page.inner_text("#upload-error") == "错误：“不是表格.xlsx”不是 Excel 工作簿（.xlsx）文件"


def test_the_policy_page_renders_every_measure(server, page):
    page.goto(server + "/policy")
    assert page.locator("section.measure").count() == 25
    assert page.locator("section.measure.computed").count() == 7
    assert "第18条" in page.inner_text("main")
    assert page.locator("#toc li a").count() == 26
    page.set_viewport_size(PHONE)
    page.click("#toc a[href='#m18']")
    # the page's Content-Security-Policy forbids eval, so the scroll is watched from here, not by a page function
    for _ in range(100):
        box = page.locator("#m18").bounding_box()
        if box and abs(box["y"]) < 40:
            break
        page.wait_for_timeout(50)
    assert box and abs(box["y"]) < 40
    shoot(page, "policy-phone.png", PHONE, "#top")
    shoot(page, "policy-desktop.png", DESKTOP)


# --------------------------------------------------------------------------- from the self-check to the batch (issue 11)


def fill_company(page, *, name, code, region, score, tax, claims, deposits=()) -> None:
    page.fill("input[name=year]", "2024")
    page.fill("input[name=name]", name)
    page.fill("input[name=credit_code]", code)
    page.select_option("select[name=region]", region)
    page.fill("input[name=credit_score]", score)
    page.fill("input[name=local_retained_tax]", tax)
    for i, (category, subject, date) in enumerate(claims):
        if i:
            page.click("#add-claim")
        fill_claim(page.locator(".claim-row").nth(i), category, subject, date)
    if deposits:
        page.locator("summary", has_text="质量保证金项目").click()
        for i, (project, amount) in enumerate(deposits):
            page.click("#add-deposit")
            page.locator("input[name=dep_project]").nth(i).fill(project)
            page.locator("input[name=dep_amount]").nth(i).fill(amount)
    page.click("#submit")
    page.wait_for_selector("#result")


def shown_amounts(page) -> dict[str, str]:
    """Each claim's 申报编号 and 核定 amount as the page shows them."""
    out = {}
    for article in page.locator("#claims-result article").all():
        out[article.locator(".id").inner_text()] = article.locator(".amounts-line strong").inner_text()
    return out


def download(page, folder: Path) -> Path:
    with page.expect_download() as info:
        page.click("#export")
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target


CIDUO = ("景德镇瓷都建设集团有限公司", "91360203MA0001018A", "珠山区", "85", "300万",
         [("鲁班奖", "瓷都大厦", "2024-11-20"), ("杜鹃花奖", "瓷都大厦", "2024-06-01"),
          ("施工总承包一级资质", "D236000001", "2024-02-01"), ("省级工法", "钢结构滑移工法", "2024-05-05")])
CHANGJIANG = ("景德镇昌江建工有限公司", "91360202MA0001026N", "昌江区", "90", "50万",
              [("省级工法", "钢结构 滑移工法", "2024-03-10"), ("省优良工程", "昌江花园", "2024-07-01")])


def test_two_self_checks_downloaded_and_merged_assess_to_what_their_pages_showed(server, page, tmp_path):
    """Two companies fill the form and download their files; merge joins them; assess gives each claim what its
    page showed — except the 工法 both companies claim, which the co-winners rule holds and the schedule says so."""
    from policies import get_pack
    from subsidy import engine, params
    from subsidy.cli import main
    from subsidy.workbook.reader import read_workbook

    inbox = tmp_path / "收件"
    inbox.mkdir()
    shown, totals = {}, {}
    for name, code, region, score, tax, claims in (CIDUO, CHANGJIANG):
        page.goto(server + "/")
        fill_company(page, name=name, code=code, region=region, score=score, tax=tax, claims=claims,
                     deposits=[("瓷都大厦", "8,650万")] if code == CIDUO[1] else [])
        shown.update(shown_amounts(page))
        totals[code] = page.inner_text("#total-payable")
        saved = download(page, inbox)
        assert saved.name == f"申报表-{code}-2024.xlsx"
    assert totals == {CIDUO[1]: "1,020,000.00 元", CHANGJIANG[1]: "70,000.00 元"}
    assert set(shown) == {f"{CIDUO[1]}-0{i}" for i in range(1, 5)} | {f"{CHANGJIANG[1]}-0{i}" for i in (1, 2)}

    merged = tmp_path / "申报汇总表.xlsx"
    assert main(["merge", str(inbox), "-o", str(merged)]) == 0
    pack = get_pack()
    result = engine.assess(read_workbook(merged, pack=pack), year=2024, pack=pack, params=params.defaults(pack))
    assert result.issues == ()
    co_winners = {f"{CIDUO[1]}-04": CHANGJIANG[0], f"{CHANGJIANG[1]}-01": CIDUO[0]}
    for ln in result.lines:
        if ln.claim_id in co_winners:  # the same 工法 from two companies: held, and the schedule names the other
            assert ln.status == "pending" and ln.reasons[-1].code == "CO_WINNERS"
            assert co_winners[ln.claim_id] in ln.reasons[-1].message
        else:
            assert f"{ln.payable:,.2f} 元" == shown[ln.claim_id], ln.claim_id
    assert [d.deposit for d in result.deposits] == [Decimal("908250.00")]


def test_the_same_company_downloaded_twice_with_different_facts_is_refused_with_every_conflict(server, page, tmp_path,
                                                                                             capsys):
    from subsidy.cli import main

    inbox = tmp_path / "收件"
    (inbox / "第一次").mkdir(parents=True)
    (inbox / "第二次").mkdir()
    name, code, region, score, tax, claims = CHANGJIANG
    page.goto(server + "/")
    fill_company(page, name=name, code=code, region=region, score=score, tax=tax, claims=claims)
    first = download(page, inbox / "第一次")
    page.fill("input[name=local_retained_tax]", "80万")
    page.click("#export")  # changed after the result: checked again, no file
    page.wait_for_selector("#export-error")
    assert "表单在自查之后有改动" in page.inner_text("#export-error")
    second = download(page, inbox / "第二次")
    out = tmp_path / "申报汇总表.xlsx"
    assert main(["merge", str(inbox), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert not out.exists()
    assert (f"企业“{code}”（{name}）的“地方留成税收(元)”在两个文件中不同：{first}“企业”表第2行为“500,000.00”，"
            f"{second}“企业”表第2行为“800,000.00”") in err.replace("\n", "")
    for n in ("01", "02"):
        assert (f"申报编号“{code}-{n}”在多个文件中重复：{first}“申报事项”表第{int(n) + 1}行、{second}“申报事项”表第"
                f"{int(n) + 1}行（两行内容相同") in err.replace("\n", "")
    assert err.strip().endswith("错误：合并未完成：发现 3 处问题（见上），未写出任何文件")
