"""`subsidy serve`: the self-check web page (uvicorn)."""
from __future__ import annotations

import os
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
    workers: Optional[int] = typer.Option(None, "--workers", metavar="个数",
                                          help="同时处理请求的进程数，默认为本机的处理器核数；"
                                               "每个进程一次核定一份上传的申报表"),
    config: Optional[Path] = options.CONFIG,
    policy: str = options.POLICY,
) -> None:
    """启动企业自查网页：单个企业在线自查、上传申报汇总表下载奖励明细表、政策一览。不保存任何上传内容。"""
    import uvicorn

    from ..web import ENV_CONFIG, ENV_POLICY, create_app

    if not 0 < port < 65536:
        raise ServeError(f"端口“{port}”无效（应为 1–65535）")
    n = default_workers() if workers is None else workers
    if not 1 <= n <= MAX_WORKERS:
        raise ServeError(f"进程数“{workers}”无效（应为 1–{MAX_WORKERS}）")
    create_app(policy=policy, config=config)  # the policy and the config are checked before anything starts
    # each worker builds its own app from these (uvicorn starts the workers as new processes)
    os.environ[ENV_POLICY] = policy
    os.environ[ENV_CONFIG] = str(config.resolve()) if config else ""
    typer.echo(f"企业自查网页：http://{host}:{port}/  （{n} 个进程；按 Ctrl+C 停止）")
    try:
        uvicorn.run("subsidy.web:app_from_environment", factory=True, host=host, port=port, workers=n,
                    log_level="warning")
    except OSError as e:  # pragma: no cover - depends on the machine
        raise ServeError(f"无法在 {host}:{port} 启动服务：{e.strerror or e}") from None


#: more worker processes than this is a typing error (each holds the policy and a pool process)
MAX_WORKERS = 64


def default_workers() -> int:
    """One web worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
