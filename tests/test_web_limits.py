"""The web page under load and abuse (issue 12): the byte limit while the body arrives, the bounded assessment pool,
the security headers, the framework's own refusals in Chinese, and form numbers read by the workbook's parsers."""
from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from workbooks import build_example

from subsidy.web import create_app
from subsidy.web.limits import SECURITY_HEADERS
from subsidy.web.pool import Assessors, Busy


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> bytes:
    return build_example(tmp_path_factory.mktemp("example") / "申报汇总表-2024.xlsx").read_bytes()


def multipart(boundary: bytes, *parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += b"--" + boundary + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + content + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


# --------------------------------------------------------------------------- the byte limit


def asgi(app, path: str, chunks, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes, int]:
    """Run one request through the ASGI app itself, its body given chunk by chunk as a server would pass it on:
    (status, body, how many chunks the app asked for)."""
    import asyncio

    async def go():
        it = iter(chunks)
        asked = 0
        out = {"status": 0, "body": b""}

        async def receive():
            nonlocal asked
            asked += 1
            chunk = next(it, None)
            return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

        async def send(message):
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
            elif message["type"] == "http.response.body":
                out["body"] += message.get("body", b"")

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        await app(scope, receive, send)
        return out["status"], out["body"], asked

    return asyncio.run(go())


def test_a_chunked_upload_without_a_length_is_refused_once_the_limit_is_passed_and_not_read_further():
    app = create_app(max_upload=64 * 1024)
    head = multipart(b"B", ("year", None, b"2024"))[: -len(b"--B--\r\n")]
    head += b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n\r\n'
    chunks = [head, *[b"0" * 65536] * 100, b"\r\n--B--\r\n"]  # 6.4 MB offered, no Content-Length
    status, body, asked = asgi(app, "/upload", chunks, [(b"content-type", b"multipart/form-data; boundary=B"),
                                                        (b"transfer-encoding", b"chunked")])
    assert status == 413
    assert "错误：文件超过 0.0625 MB 的上限，请删去无关的工作表或拆分后再上传" in body.decode()
    assert asked == 3  # the limit (64 KB + 64 KB of framing) was passed by the third chunk: nothing more was read


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read():
    small = TestClient(create_app(max_upload=1024))
    read = []

    def body():
        read.append(1)
        yield b"x" * 200_000

    r = small.post("/upload", content=body(), headers={"Content-Type": "multipart/form-data; boundary=B",
                                                       "Content-Length": "200000"})
    assert r.status_code == 413 and "文件超过" in r.text


def test_a_form_over_its_limit_is_refused_in_chinese(client):
    r = client.post("/check", data={"name": "甲" * 300_000})
    assert r.status_code == 413
    assert "提交的内容超过 0.25 MB 的上限" in r.text


# --------------------------------------------------------------------------- the pool


def test_an_upload_beyond_the_queue_is_answered_503_at_once_in_chinese(example):
    pool = Assessors("jdz-2023", None, assessors=1, queue=1)
    app = create_app(assessors=pool)
    c = TestClient(app)
    pool.reserve()  # one assessing, one waiting: full
    pool.reserve()
    r = c.post("/upload", files={"file": ("a.xlsx", example)}, data={"year": "2024"})
    assert r.status_code == 503
    assert "错误：服务器正忙：正在核定的申报表已满，请稍后再试（约半分钟后重新上传）" in r.text
    assert r.headers["retry-after"] == "30"
    pool.release()  # a place frees: the next upload is assessed
    r = c.post("/upload", files={"file": ("a.xlsx", example)}, data={"year": "2024"})
    assert r.status_code == 200 and "7,370,000.00 元" in r.text
    assert pool.taken == 1  # the upload gave its place back
    pool.close()


def test_the_pool_counts_its_places():
    pool = Assessors("jdz-2023", None, assessors=2, queue=1)
    for _ in range(3):
        pool.reserve()
    with pytest.raises(Busy):
        pool.reserve()
    pool.release()
    pool.reserve()
    assert pool.taken == 3


def test_an_upload_is_assessed_in_another_process_with_the_same_summary(client, example):
    r = client.post("/upload", files={"file": ("申报汇总表-2024.xlsx", example)}, data={"year": "2024"})
    assert r.status_code == 200
    assert "申报 " in r.text and "7,370,000.00 元" in r.text and 'download="奖励明细表-2024.xlsx"' in r.text
    assert client.app.state.assessors.taken == 0


def test_an_upload_whose_cell_tag_would_abort_the_reader_is_refused_and_the_page_goes_on(client, example):
    """A cell written <c r="A2" r="XFD1048576"> made calamine allocate A1:XFD1048576 and abort the assessing
    process: now the guard refuses it in Chinese, and the next upload is assessed as usual."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(example))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</row>", b'<c r="A2" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>', 1)
            z.writestr(info, data)
    r = client.post("/upload", files={"file": ("坏.xlsx", out.getvalue())}, data={"year": "2024"})
    assert r.status_code in (200, 400, 422)
    assert "有写法异常的单元格标记" in r.text and "请用 Excel 或 WPS 打开后另存为 .xlsx 再提交" in r.text
    r = client.post("/upload", files={"file": ("申报汇总表-2024.xlsx", example)}, data={"year": "2024"})
    assert r.status_code == 200 and "7,370,000.00 元" in r.text


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize("path", ["/", "/upload", "/policy", "/deposit", "/static/style.css", "/static/app.js",
                                  "/nope"])
def test_every_response_carries_the_security_headers(client, path):
    r = client.get(path)
    for key, value in SECURITY_HEADERS:
        assert r.headers[key.decode()] == value.decode()
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_the_pages_have_no_inline_script_the_policy_would_block(client):
    for path in ("/", "/upload", "/policy", "/deposit"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " onclick=" not in html and " style=" not in html


def test_an_internal_error_is_a_chinese_page_with_the_headers(monkeypatch):
    import subsidy.selfcheck as selfcheck

    c = TestClient(create_app(), raise_server_exceptions=False)
    monkeypatch.setattr(selfcheck, "policy_overview", lambda *a: 1 / 0)
    r = c.get("/policy")
    assert r.status_code == 500
    assert "服务器内部错误，请稍后再试；如果一再出现，请告知网站管理员" in r.text and "Traceback" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"


# --------------------------------------------------------------------------- the framework's refusals


def test_a_form_with_too_many_fields_is_refused_in_chinese(client, example):
    body = multipart(b"B", ("file", "a.xlsx", example), *[(f"f{i}", None, b"1") for i in range(20)])
    r = client.post("/upload", content=body, headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert r.status_code == 400 and "错误：表单中的项目过多，请从页面上的表单提交" in r.text


def test_two_files_in_one_upload_are_refused_in_chinese(client, example):
    body = multipart(b"B", ("file", "a.xlsx", example), ("file", "b.xlsx", example), ("year", None, b"2024"))
    r = client.post("/upload", content=body, headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert r.status_code == 400 and "错误：一次只能上传一个文件" in r.text


@pytest.mark.parametrize("content_type, body", [
    ("multipart/form-data", b"no boundary"),
    ("multipart/form-data; boundary=B", b'--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--\r\n'),
])
def test_a_malformed_multipart_body_is_refused_in_chinese(client, content_type, body):
    for path in ("/upload", "/check"):
        r = client.post(path, content=body, headers={"Content-Type": content_type})
        assert r.status_code == 400 and "提交的内容格式有误，无法读取，请从页面上的表单提交" in r.text
        assert "Missing boundary" not in r.text and "Content-Disposition" not in r.text


# --------------------------------------------------------------------------- form numbers


@pytest.mark.parametrize("year, status", [("²", 400), ("2024²", 400), ("٢٠٢٤", 200), ("２０２４", 200),
                                          ("2024.0", 200), ("2024年", 200), ("1e3", 400), ("", 400)])
def test_the_upload_year_is_read_by_the_workbooks_year_parser(client, example, year, status):
    r = client.post("/upload", files={"file": ("a.xlsx", example)}, data={"year": year})
    assert r.status_code == status
    if status == 400:
        assert f"核定年度“{year}”无效（应为 2000–2100 之间的年份）" in r.text


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["²", "2024²", "١٢", "Ⅻ", "½", "1e309", "NaN", "-0", "9" * 40, "１，０００万", "12.5万元", "\x00"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(year=TEXT, score=TEXT, tax=TEXT, amount=TEXT, date=TEXT)
def test_no_form_input_ends_in_a_server_error(client, year, score, tax, amount, date):
    form = {"year": year, "name": "甲", "region": "珠山区", "credit_score": score, "local_retained_tax": tax,
            "claim_category": "鲁班奖", "claim_subject": "甲楼", "claim_date": date, "claim_other_amount": amount,
            "hist_category": "鲁班奖", "hist_year": year, "hist_date": date, "hist_amount": amount,
            "dep_project": "甲楼", "dep_amount": amount, "hq_date": date, "hq_contribution": amount}
    assert client.post("/check", data=form).status_code in (200, 400)
    assert client.get("/deposit", params={"amount": amount, "score": score}).status_code in (200, 400)


# --------------------------------------------------------------------------- serve


def test_serve_runs_one_worker_per_core_by_default_each_building_its_app(monkeypatch, capsys, tmp_path):
    import os

    import uvicorn

    from subsidy.cli import main
    from subsidy.web import ENV_CONFIG, ENV_POLICY, app_from_environment

    ran = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: ran.update(app=app, **kw))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    monkeypatch.setenv(ENV_CONFIG, "")  # restored after the test: serve sets both for its workers
    monkeypatch.setenv(ENV_POLICY, "")
    cfg = tmp_path / "口径.toml"
    cfg.write_text("min_credit_score = 75\n", encoding="utf-8")
    assert main(["serve", "--port", "8123", "--config", str(cfg)]) == 0
    assert ran["app"] == "subsidy.web:app_from_environment" and ran["factory"] is True
    assert ran["workers"] == 3 and ran["port"] == 8123
    assert os.environ[ENV_CONFIG] == str(cfg.resolve()) and os.environ[ENV_POLICY] == "jdz-2023"
    assert "（3 个进程；按 Ctrl+C 停止）" in capsys.readouterr().out
    app = app_from_environment()  # what each worker builds: the same 口径
    assert TestClient(app).get("/policy").status_code == 200


@pytest.mark.parametrize("workers", ["0", "65"])
def test_serve_refuses_a_bad_number_of_workers_in_one_chinese_line(capsys, workers):
    from subsidy.cli import main

    assert main(["serve", "--workers", workers]) == 2
    assert capsys.readouterr().err == f"错误：进程数“{workers}”无效（应为 1–64）\n"
