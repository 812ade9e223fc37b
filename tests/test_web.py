"""The self-check web app through FastAPI's TestClient: pages, the form, uploads, limits and bad input."""
from __future__ import annotations

import io
import re
import warnings
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


def test_uploading_the_example_returns_the_award_schedule(client, example):
    r = client.post("/upload", files={"file": ("申报汇总表-2024.xlsx", example)}, data={"year": "2024"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''%E5%A5%96%E5%8A%B1%E6%98%8E%E7%BB%86%E8%A1%A8-2024.xlsx" in r.headers["content-disposition"]
    assert r.headers["cache-control"] == "no-store"
    wb = load_workbook(io.BytesIO(r.content))
    assert "奖励明细" in wb.sheetnames and "汇总" in wb.sheetnames


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
