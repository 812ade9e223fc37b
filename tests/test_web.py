"""The self-check web app through FastAPI's TestClient: pages, the form, uploads, limits and bad input."""
from __future__ import annotations

import io
import re
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from workbooks import build_example

from subsidy.web import create_app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> bytes:
    return build_example(tmp_path_factory.mktemp("example") / "申报汇总表-2024.xlsx").read_bytes()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


FORM = {
    "year": "2024", "name": "景德镇测试建设有限公司", "region": "珠山区", "credit_score": "85",
    "local_retained_tax": "10万",
    "claim_category": ["鲁班奖", "杜鹃花奖", "国家级企业技术中心"],
    "claim_subject": ["瓷都大厦", "瓷都大厦", ""],
    "claim_date": ["2024-05-01", "2024-06-01", "2024-03-01"],
    "claim_other_name": ["", "", ""], "claim_other_amount": ["", "", ""], "claim_other_paid": ["否", "否", "否"],
    "dep_project": ["瓷都大厦"], "dep_amount": ["1,000万"],
}


def test_the_pages_render_in_chinese_at_phone_width(client):
    for path, heading in (("/", "企业自查"), ("/upload", "上传申报汇总表"), ("/policy", "景德镇市促进建筑业高质量发展的若干措施")):
        r = client.get(path)
        assert r.status_code == 200 and heading in r.text
        assert '<html lang="zh-CN">' in r.text and 'name="viewport"' in r.text
    assert client.get("/static/style.css").status_code == 200


def test_the_policy_page_lists_every_measure_and_the_parameters(client):
    t = text(client.get("/policy").text)
    for n in range(1, 25):
        assert f"第{n}条" in t
    assert "通用条款" in t and "信用评价分下限" in t and "不核算" in t


def test_the_policy_page_has_contents_linking_every_measure_and_no_english_or_internal_notes(client):
    html = client.get("/policy").text
    links = re.findall(r'<a href="#(m\d+|params)">', html)
    assert len(links) == 26 and all(f'id="{x}"' in html for x in links)
    body = text(re.sub(r"<(script|style).*?</\1>", "", html, flags=re.S))
    assert re.findall(r"[A-Za-z]{3,}", body) == []  # no TOML keys or values (min_credit_score, all, each…)
    assert "待财政局确认" not in body and "TODO" not in body


def test_the_self_check_report_prints_with_who_when_and_that_it_is_not_a_decision(client):
    import datetime as dt

    r = client.post("/check", data=FORM | {"credit_code": "91360203MA0001018A"})
    t = text(r.text)
    assert "统一社会信用代码 91360203MA0001018A · 2024 年度" in t and f"自查日期 {dt.date.today()}" in t
    assert "不是主管部门的核定决定" in t
    assert re.search(r'<section class="card no-print" id="form-card">', r.text), "the form is not printed"
    css = client.get("/static/style.css").text
    assert "@media print" in css and "@page" in css


def test_advice_is_split_into_gains_and_notes_and_no_gain_is_zero(client):
    r = client.post("/check", data=FORM)
    gains = re.search(r'id="advice-gains">(.*?)</ol>', r.text, re.S).group(1)
    notes = re.search(r'id="advice-notes">(.*?)</ul>', r.text, re.S).group(1)
    amounts = re.findall(r'<span class="money">\+([\d,.]+) 元</span>', gains)
    assert amounts and all(a != "0.00" for a in amounts)
    assert 'data-code="LOWER_TIER_NO_GAIN"' in notes and 'class="money"' not in notes


def test_the_form_answers_with_the_same_report_and_advice_as_check(client):
    r = client.post("/check", data=FORM)
    assert r.status_code == 200
    t = text(r.text)
    assert "自查结果：景德镇测试建设有限公司" in t
    assert "核定合计 100,000.00 元" in t
    assert "第6条：同一项目获多项荣誉奖励的按最高荣誉奖励" in t
    assert "封顶核减 900,000.00 元" in t
    assert "封顶生效：应得合计 1,000,000.00 元 超过地方留成税收 100,000.00 元" in t
    assert "信用评价分达到 90 分及以上（现为 85 分），质量保证金比例由 1.05% 降为 0.75%（第18条），所列 1 个项目可少缴 30,000.00 元" in t
    # the form comes back filled in, so the company can change a value and try again
    assert 'value="景德镇测试建设有限公司"' in r.text and 'value="10万"' in r.text


def test_the_form_report_matches_the_library_self_check(client):
    from policies import get_pack
    from subsidy import params
    from subsidy.selfcheck import self_check
    from subsidy.web.forms import FormData, parse_form

    class Multi(dict):
        def getlist(self, k):
            v = self.get(k)
            return v if isinstance(v, list) else ([] if v is None else [v])

    m = Multi(FORM)
    parsed = parse_form(FormData.from_multi(m.getlist, m.get), get_pack())
    sc = self_check(parsed.batch, parsed.credit_code, year=2024, pack=get_pack(), params=params.defaults(get_pack()))
    t = text(client.post("/check", data=FORM).text)
    for a in sc.advice:
        assert a.message in t


def test_hq_and_history_rows_enter_the_computation(client):
    data = {"year": "2024", "name": "迁入公司", "region": "高新区", "local_retained_tax": "500万",
            "claim_category": ["国家级企业技术中心"], "claim_subject": [""], "claim_date": ["2024-04-01"],
            "hq_mode": "总部迁入", "hq_qualification": "施工总承包一级", "hq_date": "2023-06-01",
            "hq_contribution": "800000",
            "hist_category": ["省级企业技术中心"], "hist_subject": [""], "hist_year": ["2023"],
            "hist_date": ["2023-12-20"], "hist_amount": ["200000"]}
    t = text(client.post("/check", data=data).text)
    assert "补差 300,000.00 元" in t
    assert "自落户认定当年起第 2 年" in t
    assert "核定合计 1,100,000.00 元" in t


def test_form_mistakes_are_shown_in_chinese_with_the_values_kept(client):
    bad = dict(FORM, year="", credit_score="好", local_retained_tax="-5", credit_code="91360203MA0001018B",
               claim_date=["2024-02-30", "2024-06-01", "2024-03-01"])
    r = client.post("/check", data=bad)
    assert r.status_code == 400
    t = text(r.text)
    for message in ("核定年度：必填（成果获批的年度，如 2024）",
                    "统一社会信用代码：统一社会信用代码校验位错误（第18位应为A）",
                    "信用评价分：“好”不是有效的分数（应为数字，如 85 或 92.5）",
                    "地方留成税收(元)：金额“-5”为负数，金额不能为负",
                    "第1项申报 · 获批日期：日期“2024-02-30”不存在"):
        assert message in t
    assert 'value="好"' in r.text
    assert "自查结果" not in t


def test_a_region_must_be_chosen_and_a_per_project_reward_needs_its_name(client):
    t = text(client.post("/check", data=dict(FORM, region="", claim_subject=["", "瓷都大厦", ""])).text)
    assert "注册地：请选择" in t
    assert "第1项申报 · 项目或证书名称：必填（“鲁班奖”按项目或证书逐项奖励）" in t


def test_blank_claim_rows_are_ignored(client):
    r = client.post("/check", data={"year": "2024", "name": "空公司", "region": "珠山区", "claim_category": [""],
                                    "claim_subject": [""], "claim_date": [""], "claim_other_paid": ["否"]})
    assert r.status_code == 200 and "没有申报事项" in text(r.text)


def embedded_schedule(html: str) -> bytes:
    """The schedule the summary page carries in its download link (data: URL, base64)."""
    import base64

    m = re.search(r'id="download" href="data:application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet;'
                  r'base64,([A-Za-z0-9+/=]+)" download="([^"]+)"', html)
    assert m, "no download link"
    return base64.b64decode(m.group(1))


def test_uploading_the_example_shows_a_summary_with_the_schedule_to_download(client, example):
    r = client.post("/upload", files={"file": ("申报汇总表-2024.xlsx", example)}, data={"year": "2024"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-store"
    t = text(r.text)
    assert "核定摘要：2024 年度" in t and "核定总额 7,370,000.00 元" in t
    for label, n in (("全额核定", 12), ("核减", 6), ("不予奖励", 12), ("待补正", 5), ("仅通报表彰", 2)):
        assert f"{label} {n} 条" in t
    payers = re.findall(r"<tr><th>([^<]+财政)</th>", r.text)
    assert payers == ["珠山区财政", "昌江区财政", "浮梁县财政", "乐平市财政", "高新区财政", "昌南新区财政", "市财政"]
    assert "数据问题（6 处）" in t and "申报事项 第31行 获批日期" in t
    assert 'download="奖励明细表-2024.xlsx"' in r.text
    wb = load_workbook(io.BytesIO(embedded_schedule(r.text)))
    assert "奖励明细" in wb.sheetnames and "汇总" in wb.sheetnames
    rows = list(wb["奖励明细"].iter_rows(values_only=True))
    header = next(r for r in rows if r and "核定金额" in r)
    paid = header.index("核定金额")
    total = sum(Decimal(str(r[paid])) for r in rows[rows.index(header) + 1:] if r and isinstance(r[paid], (int, float)))
    assert total == Decimal("7370000")


def test_the_blank_template_downloads_as_the_template_command_writes_it(client, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    r = client.get("/template")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''%E7%94%B3%E6%8A%A5%E6%B1%87%E6%80%BB%E8%A1%A8.xlsx" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert {"企业", "申报事项", "总部迁入", "质量保证金", "已兑现奖励", "填表说明"} <= set(wb.sheetnames)
    assert list(tmp_path.iterdir()) == [], "nothing kept"


@pytest.mark.parametrize("amount, score", [("1,000万", "85"), ("10000000", "92"), ("8,650万", ""), ("0.5", "79.5")])
def test_the_deposit_page_shows_what_the_deposit_command_computes(client, amount, score, capsys):
    import json

    from subsidy.cli import main

    assert main(["deposit", "--amount", amount, "--json"] + (["--credit-score", score] if score else [])) == 0
    f = json.loads(capsys.readouterr().out)
    t = text(client.get("/deposit", params={"amount": amount, "score": score}).text)
    from decimal import Decimal

    from subsidy.money import yuan_text

    assert f"质量保证金 {yuan_text(Decimal(f['deposit']))} 元" in t
    assert f"按基准比例 1.5% {yuan_text(Decimal(f['base_deposit']))} 元 比基准少缴 {yuan_text(Decimal(f['saving']))} 元" in t
    assert f"按原比例 3% {yuan_text(Decimal(f['old_deposit']))} 元 比原比例少缴 {yuan_text(Decimal(f['saving_vs_old']))} 元" in t
    for c in f["next_cuts"]:
        assert f"信用评价分达到 {c['credit_score']} 分及以上" in t and yuan_text(Decimal(c["saving"])) in t


def test_the_deposit_page_explains_bad_input_in_chinese(client):
    r = client.get("/deposit", params={"amount": "abc", "score": "101"})
    assert r.status_code == 400
    t = text(r.text)
    assert "工程价款结算总额(元)：“abc”不是有效的金额" in t and "信用评价分：信用评价分“101”超过满分100分" in t
    assert client.get("/deposit").status_code == 200 and "计算结果" not in client.get("/deposit").text


def test_uploads_leave_nothing_behind(client, example, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client.post("/upload", files={"file": ("a.xlsx", example)}, data={"year": "2024"})
    client.post("/upload", files={"file": ("a.xlsx", b"PK not a zip")}, data={"year": "2024"})
    assert list(tmp_path.iterdir()) == []


def test_an_upload_over_the_size_limit_is_refused_with_a_clear_message():
    small = TestClient(create_app(max_upload=1024 * 1024))
    r = small.post("/upload", files={"file": ("大.xlsx", b"PK" + b"0" * (1024 * 1024))}, data={"year": "2024"})
    assert r.status_code == 413
    assert "错误：文件超过 1 MB 的上限，请删去无关的工作表或拆分后再上传" in r.text


def test_an_upload_far_over_the_limit_is_refused_from_its_content_length():
    small = TestClient(create_app(max_upload=1024))
    r = small.post("/upload", files={"file": ("大.xlsx", b"0" * 200_000)}, data={"year": "2024"})
    assert r.status_code == 413 and "文件超过" in r.text


@pytest.mark.parametrize("name, content, message", [
    ("a.xlsx", b"hello", "错误：“a.xlsx”不是 Excel 工作簿（.xlsx）文件"),
    ("空.xlsx", b"", "错误：“空.xlsx”是空文件（0字节），不是 Excel 工作簿"),
    ("坏.xlsx", b"PK\x03\x04broken", "错误：“坏.xlsx”已损坏，无法作为 Excel 工作簿读取"),
    ("旧.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
     "错误：“旧.xls”是旧版 Excel（.xls）等格式，不是 .xlsx 工作簿，请在 Excel 中另存为 .xlsx 后再提交"),
])
def test_a_bad_upload_gets_the_same_message_as_the_cli(client, name, content, message):
    r = client.post("/upload", files={"file": (name, content)}, data={"year": "2024"})
    assert r.status_code == 400 and message in r.text


def test_a_workbook_without_the_company_sheet_is_explained(client):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Sheet1"
    buf = io.BytesIO()
    wb.save(buf)
    r = client.post("/upload", files={"file": ("无企业表.xlsx", buf.getvalue())}, data={"year": "2024"})
    assert r.status_code == 400 and "错误：“无企业表.xlsx”中没有“企业”工作表（现有工作表：“Sheet1”）" in r.text


def test_an_upload_without_a_file_or_with_a_bad_year_is_refused(client, example):
    r = client.post("/upload", data={"year": "2024"})
    assert r.status_code == 400 and "请选择要上传的申报汇总表（.xlsx）" in r.text
    r = client.post("/upload", files={"file": ("a.xlsx", example)}, data={"year": "1800"})
    assert r.status_code == 400 and "核定年度“1800”无效（应为 2000–2100 之间的年份）" in r.text


def test_unknown_pages_are_answered_in_chinese(client):
    r = client.get("/nope")
    assert r.status_code == 404 and "没有这个页面" in r.text
    r = client.get("/check")
    assert r.status_code == 405 and "请从页面上的表单提交" in r.text


def test_serve_refuses_a_bad_port_in_one_chinese_line(capsys):
    from subsidy.cli import main

    assert main(["serve", "--port", "99999"]) == 2
    assert capsys.readouterr().err == "错误：端口“99999”无效（应为 1–65535）\n"


def test_serve_refuses_a_bad_config_before_starting(capsys, tmp_path):
    from subsidy.cli import main

    cfg = tmp_path / "bad.toml"
    cfg.write_text("frob = 1\n", encoding="utf-8")
    assert main(["serve", "--config", str(cfg)]) == 2
    assert capsys.readouterr().err.startswith("错误：配置文件中有未知的配置项“frob”")


# --------------------------------------------------------------------------- 下载申报表 (issue 11)

CODE = "91360203MA0001018A"


def checked(html: str) -> str:
    m = re.search(r'<input type="hidden" name="checked" value="([0-9a-f]+)" form="check-form">', html)
    assert m, "no download button"
    return m.group(1)


def test_after_a_result_the_application_file_downloads_and_assesses_to_the_page(client):
    from policies import get_pack
    from subsidy import engine, params
    from subsidy.workbook.reader import read_bytes

    form = FORM | {"credit_code": CODE, "hq_mode": "总部迁入", "hq_qualification": "施工总承包一级",
                   "hq_date": "2023-06-01", "hq_contribution": "50000"}
    page = client.post("/check", data=form)
    t = text(page.text)
    assert 'formaction="/export"' in page.text and "下载申报表" in t
    assert f"{CODE}-01" in t and f"{CODE}-04" in t  # the page names each claim as the file will
    r = client.post("/export", data=form | {"checked": checked(page.text)})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"filename*=UTF-8''%E7%94%B3%E6%8A%A5%E8%A1%A8-{CODE}-2024.xlsx" in r.headers["content-disposition"]
    pack = get_pack()
    result = engine.assess(read_bytes(r.content, pack=pack), year=2024, pack=pack, params=params.defaults(pack))
    shown = dict(re.findall(r'<span class="id">([^<]+)</span>.*?核定 <strong>([\d,.]+) 元</strong>', page.text, re.S))
    assert {ln.claim_id: f"{ln.payable:,.2f}" for ln in result.lines} == shown
    assert f"{result.totals.payable:,.2f}" == re.search(r'id="total-payable">([\d,.]+) 元', page.text).group(1)
    assert [d.deposit for d in result.deposits] == [Decimal("105000.00")]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb["企业"]["A2"].value == CODE and wb["企业"]["I2"].value == 100000


def test_a_form_changed_after_the_result_is_checked_again_instead_of_downloaded(client):
    form = FORM | {"credit_code": CODE}
    token = checked(client.post("/check", data=form).text)
    r = client.post("/export", data=form | {"checked": token, "local_retained_tax": "200万"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("text/html")
    t = text(r.text)
    assert "表单在自查之后有改动：已按现在填写的内容重新自查，请核对下面的结果，再点“下载申报表”" in t
    assert "核定合计 1,000,000.00 元" in t  # the new result, with a new token to download it
    again = client.post("/export", data=form | {"checked": checked(r.text), "local_retained_tax": "200万"})
    assert again.status_code == 200 and again.content.startswith(b"PK")


def test_without_a_credit_code_or_a_name_the_page_says_how_to_get_the_file(client):
    for form in (FORM, FORM | {"credit_code": CODE, "name": ""}):
        page = client.post("/check", data=form)
        assert 'formaction="/export"' not in page.text
        assert "填写企业名称和统一社会信用代码并重新自查后，可下载申报表交住建局" in text(page.text)
        r = client.post("/export", data=form | {"checked": "x"})
        assert r.status_code == 409  # the token does not match: the page again, never a file
        r = client.post("/export", data=form | {"checked": form_digest(form)})
        assert r.status_code == 400 and "下载申报表须填写企业名称和统一社会信用代码" in text(r.text)


def form_digest(data: dict) -> str:
    from subsidy.web.forms import FormData

    def getlist(k):
        v = data.get(k)
        return v if isinstance(v, list) else ([] if v is None else [v])

    return FormData.from_multi(getlist, data.get).digest()


def test_a_form_with_mistakes_downloads_nothing(client):
    r = client.post("/export", data=FORM | {"credit_code": CODE, "credit_score": "好", "checked": "x"})
    assert r.status_code == 400 and "信用评价分：“好”不是有效的分数" in text(r.text)


def test_an_upload_without_a_history_sheet_shows_the_warning_on_the_summary_page(client):
    from helpers_uscc import uscc
    from workbooks import complete, workbook_bytes

    data = workbook_bytes(complete({"企业": [["统一社会信用代码", "企业名称", "注册地"], [uscc(1), "甲", "珠山区"]]}))
    r = client.post("/upload", files={"file": ("申报.xlsx", data)}, data={"year": "2024"})
    assert r.status_code == 200
    t = text(r.text)
    assert "注意：申报汇总表中没有“已兑现奖励”表" in t
    assert "无法检查重复兑现和升级补差" in t
