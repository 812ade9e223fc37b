"""The self-check web page (`subsidy serve`): FastAPI with server-rendered Jinja2 pages in Chinese.

Pages: / (one company's self-check form, answered with the same report and advice as `subsidy check`; the
report prints alone, see the print rules in static/style.css), /upload (an application workbook in: a summary of
the assessment on the page and the award schedule to download), /deposit (the 第18条 calculator of `subsidy
deposit`), /template (the blank 申报汇总表 of `subsidy template`), /policy (the policy overview).

Stateless: an upload is read in memory and the schedule written in a temporary directory that is removed before
the response is sent; the schedule travels back inside the summary page itself, as a base64 ``data:`` link with a
file name, so nothing is kept on the server between requests (no token, no cache) and the download works after the
server has forgotten the upload. The template is written the same way and streamed.

Under load (issue 12): uploads are assessed off the event loop by a bounded pool of processes (``pool``), and one
upload too many is answered 503 稍后再试 at once; every request's body is limited while it arrives and every
response carries the security headers (``limits``); the framework's own refusals (a form with too many fields, a
malformed multipart body, an internal error) are pages in Chinese like every other. `subsidy serve --workers N`
runs N copies of the app (uvicorn workers, each built by :func:`app_from_environment`).
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import re
import tempfile
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, quote

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..export import PLACEHOLDER_CODE
from ..labels import STATUS_LABELS, status_label
from ..money import yuan_text
from ..models import STATUSES
from ..selfcheck import score_text
from ..workbook.cells import CellError, parse_year
from .forms import FormData, parse_form
from .limits import SECURITY_HEADERS, Limits, TooLarge
from .pool import Assessors, Busy

HERE = Path(__file__).parent
MAX_UPLOAD = 10 * 1024 * 1024  # bytes
#: what any other request may send: the self-check form with a hundred rows is about 20 KB
MAX_FORM = 256 * 1024
#: multipart framing around the file of an upload (boundaries, the year field)
UPLOAD_OVERHEAD = 64 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEAR_MIN, YEAR_MAX = 2000, 2100
#: `subsidy serve` hands the app's settings to its workers in these (each worker builds its own app)
ENV_POLICY, ENV_CONFIG = "SUBSIDY_WEB_POLICY", "SUBSIDY_WEB_CONFIG"
#: the framework's own refusals of a form (python-multipart / starlette), as a user reads them
_FORM_ERRORS = (
    (re.compile(r"Too many files"), "一次只能上传一个文件"),
    (re.compile(r"Too many fields"), "表单中的项目过多，请从页面上的表单提交"),
    (re.compile(r"exceeded maximum size of (\d+)KB"), "表单中有一项超过 {0} KB 的上限，请从页面上的表单提交"),
)
_FORM_ERROR = "提交的内容格式有误，无法读取，请从页面上的表单提交"
_STATUS_MESSAGES = {400: "请求有误，请从页面上的表单提交", 404: "没有这个页面", 405: "请从页面上的表单提交",
                    500: "服务器内部错误，请稍后再试；如果一再出现，请告知网站管理员"}


def _yuan(x: Decimal | str | None) -> str:
    return "—" if x is None else yuan_text(Decimal(x))


def _pct(rate: Decimal | str | None) -> str:
    return "—" if rate is None else f"{(Decimal(rate) * 100).normalize():f}%"


#: a 口径's reason as the web shows it: without the TOML hints for clerks ("；取 all 则全部计入")
_TOML_HINT = re.compile(r"[；，]?（?取 [a-z_]+ 则[^）；。]*）?")


def _public(why: str) -> str:
    return _TOML_HINT.sub("", why)


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


def _disposition(name: str, ascii_name: str) -> str:
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _written(write) -> bytes:
    """The bytes of a workbook that ``write(path)`` writes, through a temporary directory removed at once."""
    with tempfile.TemporaryDirectory(prefix="subsidy-web-") as tmp:
        out = Path(tmp) / "book.xlsx"
        write(out)
        return out.read_bytes()


def _exportable(form: FormData, parsed) -> bool:
    """An application file needs the company's name and 统一社会信用代码 (the form lets a self-check go without)."""
    return bool(form.values.get("name")) and parsed.credit_code != PLACEHOLDER_CODE


def app_from_environment() -> FastAPI:
    """The app of one `subsidy serve` worker, from the settings the command put in the environment."""
    config = os.environ.get(ENV_CONFIG) or None
    return create_app(policy=os.environ.get(ENV_POLICY) or "jdz-2023", config=Path(config) if config else None)


def create_app(*, policy: str = "jdz-2023", config: Path | None = None, max_upload: int = MAX_UPLOAD,
               assessors: Assessors | None = None) -> FastAPI:
    """The ASGI app. ``config`` is a --config TOML of interpretation parameters (read once, at start);
    ``assessors`` the pool uploads are assessed in (default: pool.ASSESSORS processes, pool.QUEUE waiting)."""
    from policies import get_pack

    from .. import params as params_mod

    pack = get_pack(policy)
    prm = params_mod.load(config, pack)
    pool = assessors or Assessors(policy, str(config) if config else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        pool.warm()  # the pool's processes start with the server, not with its first upload
        yield
        pool.close()

    app = FastAPI(title="建筑业奖励自查", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.assessors = pool
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # templates are compiled once: no template file is looked at again while the server runs
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=jinja2.select_autoescape(),
                             auto_reload=False)
    env.filters["yuan"] = _yuan
    env.filters["pct"] = _pct
    env.filters["public"] = _public
    env.filters["score"] = lambda x: score_text(None if x is None else Decimal(x))
    env.globals.update(pack=pack, status_label=status_label, max_upload=_size(max_upload))
    env.globals["statuses"] = [(s, STATUS_LABELS[s]) for s in STATUSES]

    categories = [c for c in pack.categories if not c.computed]
    regions = list(pack.regions) + [pack.outside_region]

    # what every self-check page repeats is rendered once (issue 12: rendering was half of a request's time): the
    # category choices of a row, per chosen category, and the blank rows the form's add buttons copy
    options = env.from_string(
        '{% for c in categories %}<option value="{{ c.label }}" {% if selected == c.label %}selected{% endif %}>'
        '{{ c.label }}{% if articles %}（第{{ c.measure }}条）{% endif %}</option>{% endfor %}')

    @functools.lru_cache(maxsize=256)
    def category_options(selected: str, articles: bool = True) -> Markup:
        return Markup(options.render(categories=categories, selected=selected, articles=articles))

    env.globals["category_options"] = lambda selected, articles=True: category_options(
        selected if isinstance(selected, str) else "", articles)
    rows = env.get_template("_rows.html").module
    env.globals["blank_rows"] = {"claim": rows.claim_row(categories), "deposit": rows.deposit_row(),
                                 "history": rows.history_row(categories)}

    def page(request: Request | None, name: str, status: int = 200, **ctx) -> HTMLResponse:
        html = env.get_template(name).render(ctx)
        return HTMLResponse(html, status_code=status)

    too_big = f"文件超过 {_size(max_upload)} 的上限，请删去无关的工作表或拆分后再上传"

    def too_large(path: str, limit: int) -> HTMLResponse:
        if path == "/upload":
            return page(None, "upload.html", 413, error=too_big, year="")
        return page(None, "error.html", 413, message=f"提交的内容超过 {_size(limit)} 的上限")

    def refuse(scope: dict, limit: int) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        r = too_large(scope["path"], limit)
        return r.status_code, r.raw_headers, r.body

    app.add_middleware(Limits, limit=lambda path: max_upload + UPLOAD_OVERHEAD if path == "/upload" else MAX_FORM,
                       refuse=refuse)

    def check_page(request: Request, form: FormData, status: int = 200, **ctx) -> HTMLResponse:
        return page(request, "check.html", status, form=form, categories=categories, regions=regions,
                    accidents=["无", "一般", "较大", "重大", "特别重大"], modes=["总部迁入", "设立子公司"],
                    qualifications=["施工总承包特级", "施工总承包一级", "施工总承包二级", "其他"], **ctx)

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        form = FormData(values={"year": str(dt.date.today().year), "region": "", "accident": "无"})
        return check_page(request, form)

    async def checked_form(request: Request):
        """The posted form, parsed and self-checked: (raw fields, form, parsed, result page fields) — or the form
        page again (400) naming what is wrong."""
        from ..selfcheck import self_check

        raw = await _form_fields(request)
        form = FormData.from_multi(raw.getlist, raw.get)
        parsed = parse_form(form, pack)
        errors = list(parsed.errors)
        if parsed.year is not None and not YEAR_MIN <= parsed.year <= YEAR_MAX:
            errors.append(f"核定年度“{parsed.year}”无效（应为 {YEAR_MIN}–{YEAR_MAX} 之间的年份）")
        if errors or parsed.batch is None:
            return check_page(request, form, 400, errors=errors)
        sc = self_check(parsed.batch, parsed.credit_code, year=parsed.year, pack=pack, params=prm)
        shown = dict(sc=sc, today=dt.date.today(), checked=form.digest(), exportable=_exportable(form, parsed))
        return raw, form, parsed, shown

    @app.post("/check", response_class=HTMLResponse)
    async def check(request: Request) -> HTMLResponse:
        got = await checked_form(request)
        if isinstance(got, Response):
            return got
        _, form, _, shown = got
        return check_page(request, form, **shown)

    @app.post("/export")
    async def export(request: Request) -> Response:
        """下载申报表: the form re-posted from the result page, answered with the company's application file —
        only when it is the form the result on the page was computed from (else the page again, recomputed)."""
        from ..export import ExportRefused, company_file, export_bytes

        got = await checked_form(request)
        if isinstance(got, Response):
            return got
        raw, form, parsed, again = got
        sc = again["sc"]
        if str(raw.get("checked") or "") != form.digest():
            return check_page(request, form, 409, **again, export_error=(
                "表单在自查之后有改动：已按现在填写的内容重新自查，请核对下面的结果，再点“下载申报表”"))
        try:
            if not _exportable(form, parsed):  # the bureau needs to know whose file it is
                raise ExportRefused("下载申报表须填写企业名称和统一社会信用代码（申报编号由它生成），请填写后重新自查")
            cf = company_file(parsed.batch, parsed.credit_code, pack=pack)
        except ExportRefused as e:
            return check_page(request, form, 400, **again, export_error=str(e))
        body = export_bytes(cf, pack=pack, year=parsed.year, payable=sc.payable)
        name = f"申报表-{cf.credit_code}-{parsed.year}.xlsx"
        return Response(content=body, media_type=XLSX,
                        headers={"Content-Disposition": _disposition(name, f"application-{cf.credit_code}.xlsx"),
                                 "Cache-Control": "no-store"})

    @app.get("/upload", response_class=HTMLResponse)
    async def upload_form(request: Request) -> HTMLResponse:
        return page(request, "upload.html", year=str(dt.date.today().year))

    @app.post("/upload")
    async def upload(request: Request) -> Response:
        try:
            pool.reserve()  # before the body is read: a busy server does not take in 10 MB to refuse them
        except Busy:
            resp = page(request, "upload.html", 503, year="",
                        error="服务器正忙：正在核定的申报表已满，请稍后再试（约半分钟后重新上传）")
            resp.headers["Retry-After"] = "30"
            return resp
        try:
            return await assess_upload(request)
        finally:
            pool.release()

    async def assess_upload(request: Request) -> Response:
        raw = await request.form(max_files=1, max_fields=8)
        year_text = str(raw.get("year") or "").strip()
        file = raw.get("file")
        if file is None or isinstance(file, str) or not getattr(file, "filename", ""):
            return page(request, "upload.html", 400, error="请选择要上传的申报汇总表（.xlsx）", year=year_text)
        data = await file.read(max_upload + 1)
        await file.close()
        if len(data) > max_upload:
            return page(request, "upload.html", 413, error=too_big, year=year_text)
        year = _year(year_text)
        if year is None:
            return page(request, "upload.html", 400, year=year_text,
                        error=f"核定年度“{year_text}”无效（应为 {YEAR_MIN}–{YEAR_MAX} 之间的年份）")
        outcome = await pool.run(data, file.filename, year)
        if outcome.error is not None:
            return page(request, "upload.html", 400, error=outcome.error, year=year_text)
        # the schedule (megabytes of base64) is sent as it came from the pool, between the two halves of the page:
        # never copied into the page's text, never escaped or encoded again
        html = env.get_template("upload.html").render(
            year=year_text, result=outcome, source=file.filename, download=Markup(_DOWNLOAD),
            filename=f"奖励明细表-{year}.xlsx", size=outcome.size)
        head, _, tail = html.partition(_DOWNLOAD)
        parts = [head.encode(), f"data:{XLSX};base64,".encode(), outcome.download, tail.encode()]
        return StreamingResponse(iter(parts), media_type="text/html; charset=utf-8",
                                 headers={"Cache-Control": "no-store", "Content-Length": str(sum(map(len, parts)))})

    @app.get("/template")
    async def template() -> Response:
        from ..workbook.template import write_template

        body = _written(lambda out: write_template(out, pack=pack))
        return Response(content=body, media_type=XLSX,
                        headers={"Content-Disposition": _disposition("申报汇总表.xlsx", "template.xlsx"),
                                 "Cache-Control": "no-store"})

    @app.get("/deposit", response_class=HTMLResponse)
    async def deposit(request: Request, amount: str = "", score: str = "") -> HTMLResponse:
        from ..deposit import deposit_figures
        from ..workbook.cells import CellError, parse_amount, parse_score

        ctx: dict = {"amount": amount.strip(), "score": score.strip(), "errors": []}
        if ctx["amount"]:
            value = credit = None
            try:
                value = parse_amount(ctx["amount"])
            except CellError as e:
                ctx["errors"].append(f"工程价款结算总额(元)：{e.message}")
            if ctx["score"]:
                try:
                    credit = parse_score(ctx["score"])
                except CellError as e:
                    ctx["errors"].append(f"信用评价分：{e.message}")
            if not ctx["errors"]:
                ctx["f"] = deposit_figures(value, credit, policy=pack.id, params=prm)
        return page(request, "deposit.html", 400 if ctx["errors"] else 200, **ctx)

    @app.get("/policy", response_class=HTMLResponse)
    async def policy_page(request: Request) -> HTMLResponse:
        from ..selfcheck import policy_overview

        return page(request, "policy.html", o=policy_overview(pack, prm))

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        """The framework's own refusals, in Chinese: unknown page, wrong method, a form it cannot parse."""
        if isinstance(exc, TooLarge):
            return too_large(request.url.path, exc.limit)
        message = _STATUS_MESSAGES.get(exc.status_code, _STATUS_MESSAGES[400])
        if exc.status_code == 400 and isinstance(exc.detail, str):
            message = next((text.format(*m.groups()) for pattern, text in _FORM_ERRORS
                            if (m := pattern.search(exc.detail))), _FORM_ERROR)
        if request.url.path == "/upload" and exc.status_code == 400:
            return page(request, "upload.html", 400, error=message, year="")
        return page(request, "error.html", exc.status_code, message=message)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> HTMLResponse:
        """Whatever went wrong inside: a page in Chinese, never a traceback (this one is outside the middleware:
        it carries the security headers itself)."""
        resp = page(request, "error.html", 500, message=_STATUS_MESSAGES[500])
        for key, value in SECURITY_HEADERS:
            resp.headers[key.decode()] = value.decode()
        return resp

    return app


#: fields a self-check form may have (a hundred rows of six fields, and the company's)
MAX_FIELDS = 1000


async def _form_fields(request: Request):
    """The form of a request. The browser's own encoding (application/x-www-form-urlencoded) is parsed by the
    standard library's C-backed parse_qsl, a third of the time of the framework's streaming parser on a
    self-check; anything else (multipart) by the framework, with its limits."""
    from starlette.datastructures import FormData as Fields

    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return await request.form(max_fields=MAX_FIELDS)
    body = await request.body()  # within MAX_FORM: the middleware counted it
    try:
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace",
                          max_num_fields=MAX_FIELDS)
    except ValueError:
        raise StarletteHTTPException(status_code=400, detail=f"Too many fields. Maximum number of fields is "
                                                            f"{MAX_FIELDS}.") from None
    return Fields(pairs)


#: where the schedule's data: link goes in the summary page (a text no page contains)
_DOWNLOAD = "\x00schedule\x00"


def _year(text: str) -> int | None:
    """The form's 核定年度 read by the workbook's own year parser (so "２０２４" is 2024 and "²" is refused, never a
    500), within the years the CLI accepts; None when it is not one."""
    try:
        year = parse_year(text)
    except CellError:
        return None
    return year if YEAR_MIN <= year <= YEAR_MAX else None
