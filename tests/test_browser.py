"""The self-check page end to end in headless Chromium (Debian's, driven by Playwright for Python).

Skipped only when no chromium binary exists (set SUBSIDY_CHROMIUM or install Debian's `chromium`). The tests take
screenshots at phone width and desktop; with SUBSIDY_SCREENSHOTS=docs/screenshots they refresh the README's pictures,
otherwise they go to a temporary folder and the work tree stays clean.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from workbooks import build_example

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("SUBSIDY_SCREENSHOTS") or Path(os.environ.get("TMPDIR", "/tmp")) / "subsidy-screenshots")
CHROMIUM = os.environ.get("SUBSIDY_CHROMIUM") or shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
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


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return build_example(tmp_path_factory.mktemp("example") / "申报汇总表-2024.xlsx")


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


def test_a_company_fills_the_form_adds_claim_rows_and_reads_its_result(server, page):
    page.goto(server + "/")
    page.set_viewport_size(PHONE)
    shoot(page, "selfcheck-form-phone.png", PHONE)
    page.fill("input[name=year]", "2024")
    page.fill("input[name=name]", "景德镇瓷都建设集团有限公司")
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

    assert page.inner_text("#total-payable") == "1,000,000.00 元"
    assert page.locator("#preconditions li.pass").count() == 7
    claims = page.inner_text("#claims-result")
    assert "第6条：同一项目获多项荣誉奖励的按最高荣誉奖励" in claims
    assert page.inner_text("#cap-headroom") == "0.00 元"  # 封顶余量: exactly at the local tax
    advice = page.inner_text("#advice")
    assert "封顶生效：应得合计 1,000,000.00 元" not in advice  # 1,000,000 ≤ 1,000,000: the cap does not bind
    assert "信用评价分达到 90 分及以上（现为 85 分）" in advice and "259,500.00 元" in advice
    assert "若在 2028-01-12 前获批施工总承包特级资质，按就高不重复补差可再得 500,000.00 元" in advice
    assert page.locator("#advice li[data-code=LOWER_TIER_NO_GAIN]").count() == 1
    shoot(page, "selfcheck-result-phone.png", PHONE, "#result")
    shoot(page, "selfcheck-result-desktop.png", DESKTOP, "#result")


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


def test_uploading_the_example_workbook_downloads_a_schedule_that_opens(server, page, example, tmp_path):
    from openpyxl import load_workbook

    page.goto(server + "/upload")
    page.set_input_files("input[name=file]", str(example))
    page.fill("input[name=year]", "2024")
    shoot(page, "upload-desktop.png", DESKTOP)
    with page.expect_download() as info:
        page.click("button[type=submit]")
    download = info.value
    assert download.suggested_filename == "奖励明细表-2024.xlsx"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    wb = load_workbook(target, read_only=True)
    assert {"汇总", "奖励明细", "企业汇总", "质量保证金"} <= set(wb.sheetnames)
    wb.close()


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
    shoot(page, "policy-phone.png", PHONE)
    shoot(page, "policy-desktop.png", DESKTOP)
