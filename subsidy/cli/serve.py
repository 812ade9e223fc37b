"""`subsidy serve`: the self-check web page (uvicorn)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import SubsidyError
from . import options


class ServeError(SubsidyError):
    """The server cannot start."""


def serve(
    host: str = typer.Option("127.0.0.1", "--host", metavar="地址", help="监听地址（默认仅本机；对外提供服务用 0.0.0.0）"),
    port: int = typer.Option(8000, "--port", metavar="端口", help="监听端口"),
    config: Optional[Path] = options.CONFIG,
    policy: str = options.POLICY,
) -> None:
    """启动企业自查网页：单个企业在线自查、上传申报汇总表下载奖励明细表、政策一览。不保存任何上传内容。"""
    import uvicorn

    from ..web import create_app

    if not 0 < port < 65536:
        raise ServeError(f"端口“{port}”无效（应为 1–65535）")
    app = create_app(policy=policy, config=config)
    typer.echo(f"企业自查网页：http://{host}:{port}/  （按 Ctrl+C 停止）")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    except OSError as e:  # pragma: no cover - depends on the machine
        raise ServeError(f"无法在 {host}:{port} 启动服务：{e.strerror or e}") from None


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
