"""The self-check web page (`subsidy serve`): FastAPI with server-rendered Jinja2 pages in Chinese.

Pages: / (one company's self-check form, answered with the same report and advice as `subsidy check`; the
report prints alone, see the print rules in static/style.css), /upload (an application workbook in: a summary of
the assessment on the page and the award schedule to download), /deposit (the 第18条 calculator of `subsidy
deposit`), /template (the blank 申报汇总表 of `subsidy template`), /policy (the policy overview).

Stateless: an upload is read in memory and the schedule written in a temporary directory that is removed before
the response is sent; the schedule travels back inside the summary page itself, as a base64 ``data:`` link with a
file name, so nothing is kept on the server between requests (no token, no cache) and the download works after the
server has forgotten the upload. The template is written the same way and streamed.
"""
from __future__ import annotations

import base64
import datetime as dt
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..errors import SubsidyError
from ..export import PLACEHOLDER_CODE
from ..labels import STATUS_LABELS, status_label
from ..money import yuan_text
from ..models import STATUSES
from ..selfcheck import score_text
from .forms import FormData, parse_form

HERE = Path(__file__).parent
MAX_UPLOAD = 10 * 1024 * 1024  # bytes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEAR_MIN, YEAR_MAX = 2000, 2100


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


def create_app(*, policy: str = "jdz-2023", config: Path | None = None, max_upload: int = MAX_UPLOAD) -> FastAPI:
    """The ASGI app. ``config`` is a --config TOML of interpretation parameters (read once, at start)."""
    from policies import get_pack

    from .. import params as params_mod

    pack = get_pack(policy)
    prm = params_mod.load(config, pack)

    app = FastAPI(title="建筑业奖励自查", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters["yuan"] = _yuan
    env.filters["pct"] = _pct
    env.filters["public"] = _public
    env.filters["score"] = lambda x: score_text(None if x is None else Decimal(x))
    env.globals.update(pack=pack, status_label=status_label, max_upload=_size(max_upload))
    env.globals["statuses"] = [(s, STATUS_LABELS[s]) for s in STATUSES]

    categories = [c for c in pack.categories if not c.computed]
    regions = list(pack.regions) + [pack.outside_region]

    def page(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    def check_page(request: Request, form: FormData, status: int = 200, **ctx) -> HTMLResponse:
        return page(request, "check.html", status, form=form, categories=categories, regions=regions,
                    accidents=["无", "一般", "较大", "重大", "特别重大"], modes=["总部迁入", "设立子公司"],
                    qualifications=["施工总承包特级", "施工总承包一级", "施工总承包二级", "其他"], **ctx)

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> HTMLResponse:
        form = FormData(values={"year": str(dt.date.today().year), "region": "", "accident": "无"})
        return check_page(request, form)

    @app.post("/check", response_class=HTMLResponse)
    async def check(request: Request) -> HTMLResponse:
        from ..selfcheck import self_check

        raw = await request.form()
        form = FormData.from_multi(raw.getlist, raw.get)
        parsed = parse_form(form, pack)
        errors = list(parsed.errors)
        if parsed.year is not None and not YEAR_MIN <= parsed.year <= YEAR_MAX:
            errors.append(f"核定年度“{parsed.year}”无效（应为 {YEAR_MIN}–{YEAR_MAX} 之间的年份）")
        if errors or parsed.batch is None:
            return check_page(request, form, 400, errors=errors)
        sc = self_check(parsed.batch, parsed.credit_code, year=parsed.year, pack=pack, params=prm)
        return check_page(request, form, sc=sc, today=dt.date.today(), checked=form.digest(),
                          exportable=_exportable(form, parsed))

    @app.post("/export")
    async def export(request: Request) -> Response:
        """下载申报表: the form re-posted from the result page, answered with the company's application file —
        only when it is the form the result on the page was computed from (else the page again, recomputed)."""
        from ..export import ExportRefused, company_file, export_bytes
        from ..selfcheck import self_check

        raw = await request.form()
        form = FormData.from_multi(raw.getlist, raw.get)
        parsed = parse_form(form, pack)
        errors = list(parsed.errors)
        if parsed.year is not None and not YEAR_MIN <= parsed.year <= YEAR_MAX:
            errors.append(f"核定年度“{parsed.year}”无效（应为 {YEAR_MIN}–{YEAR_MAX} 之间的年份）")
        if errors or parsed.batch is None:
            return check_page(request, form, 400, errors=errors)
        sc = self_check(parsed.batch, parsed.credit_code, year=parsed.year, pack=pack, params=prm)
        again = dict(sc=sc, today=dt.date.today(), checked=form.digest(), exportable=_exportable(form, parsed))
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
        from .. import engine
        from ..workbook.reader import read_bytes
        from ..workbook.writer import write_schedule

        too_big = f"文件超过 {_size(max_upload)} 的上限，请删去无关的工作表或拆分后再上传"
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > max_upload + 64 * 1024:
            return page(request, "upload.html", 413, error=too_big, year="")
        raw = await request.form()
        year_text = str(raw.get("year") or "").strip()
        file = raw.get("file")
        if file is None or isinstance(file, str) or not getattr(file, "filename", ""):
            return page(request, "upload.html", 400, error="请选择要上传的申报汇总表（.xlsx）", year=year_text)
        data = await file.read(max_upload + 1)
        await file.close()
        if len(data) > max_upload:
            return page(request, "upload.html", 413, error=too_big, year=year_text)
        if not year_text.isdigit() or not YEAR_MIN <= int(year_text) <= YEAR_MAX:
            return page(request, "upload.html", 400, year=year_text,
                        error=f"核定年度“{year_text}”无效（应为 {YEAR_MIN}–{YEAR_MAX} 之间的年份）")
        year = int(year_text)
        try:
            batch = read_bytes(data, pack=pack, name=file.filename)
            result = engine.assess(batch, year=year, pack=pack, params=prm)
            body = _written(lambda out: write_schedule(result, out))
        except SubsidyError as e:
            return page(request, "upload.html", 400, error=str(e), year=year_text)
        link = f"data:{XLSX};base64,{base64.b64encode(body).decode('ascii')}"
        resp = page(request, "upload.html", year=year_text, result=result, source=file.filename,
                    download=link, filename=f"奖励明细表-{year}.xlsx", size=len(body))
        resp.headers["Cache-Control"] = "no-store"
        return resp

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

    @app.exception_handler(404)
    async def not_found(request: Request, exc) -> HTMLResponse:
        return page(request, "error.html", 404, message="没有这个页面")

    @app.exception_handler(405)
    async def not_allowed(request: Request, exc) -> HTMLResponse:
        return page(request, "error.html", 405, message="请从页面上的表单提交")

    return app
