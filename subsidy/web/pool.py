"""Assessments of uploaded workbooks, off the web server's event loop: a bounded pool of processes.

An uploaded workbook of 10 MB is about 180k claims: seconds of calamine (which holds the GIL while it loads a sheet)
and of the engine. In the server's own process that would stall every other page of the worker, so each upload is
read, assessed and written by a separate process of a small pool (``ASSESSORS`` per web worker: `subsidy serve`
starts one web worker per core, so the server assesses one workbook per core at a time), at a lower CPU priority
than the pages (``os.nice``): a self-check answered meanwhile waits for no assessment. Beyond ``QUEUE`` uploads
waiting for the pool, a worker answers 503 at once (:class:`Busy`) instead of queueing without end.

The pool process sends back only what the summary page shows (:class:`Outcome`): counts, totals, the first issues
and the schedule ready for its ``data:`` link — never the whole Result, which for 180k claims would take longer to
send than to compute.
"""
from __future__ import annotations

import asyncio
import base64
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: assessments running at once in one web worker (its pool's processes)
ASSESSORS = 1
#: uploads a web worker lets wait for its pool; one more is answered 503 at once
QUEUE = 2
#: how much less CPU priority the pool's processes take than the pages (os.nice)
NICE = 10
#: issues sent back for the summary page (the schedule's 数据问题 sheet has them all)
ISSUES_SHOWN = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Busy(Exception):
    """Every assessor of this worker is taken and the queue is full."""


@dataclass
class Outcome:
    """What the summary page needs of an assessed upload (small: it crosses a process boundary)."""

    year: int = 0
    lines: range = range(0)  # sized like the Result's tuples, for the template's ``| length``
    companies: range = range(0)
    clawbacks: range = range(0)
    totals: Any = None
    issues: tuple = ()
    issue_count: int = 0
    #: the schedule, base64 (ASCII bytes, for the page's data: link as it is sent), and its size in bytes
    download: bytes = b""
    size: int = 0
    #: a SubsidyError's Chinese sentence, when the workbook could not be read or assessed
    error: str | None = None
    #: the notices of the run (absent sheets, columns not read, …)
    notices: tuple = field(default_factory=tuple)


def assess_upload(data: bytes, name: str, year: int, policy: str, config: str | None) -> Outcome:
    """Read, assess and write one uploaded workbook (in a pool process)."""
    from .. import engine
    from ..errors import SubsidyError
    from ..workbook.reader import read_bytes
    from ..workbook.writer import write_schedule

    pack, prm = _policy(policy, config)
    try:
        batch = read_bytes(data, pack=pack, name=name)
        del data
        result = engine.assess(batch, year=year, pack=pack, params=prm)
        del batch
        with tempfile.TemporaryDirectory(prefix="subsidy-web-") as tmp:
            out = Path(tmp) / "book.xlsx"
            write_schedule(result, out)
            body = out.read_bytes()
    except SubsidyError as e:
        return Outcome(error=str(e))
    return Outcome(
        year=result.year, lines=range(len(result.lines)), companies=range(len(result.companies)),
        clawbacks=range(len(result.clawbacks)), totals=result.totals, issues=result.issues[:ISSUES_SHOWN],
        issue_count=len(result.issues), download=base64.b64encode(body), size=len(body), notices=result.notices)


_POLICIES: dict[tuple, tuple] = {}


def _policy(policy: str, config: str | None):
    """(pack, parameters), loaded once per pool process."""
    key = (policy, config)
    if key not in _POLICIES:
        from policies import get_pack

        from .. import params

        pack = get_pack(policy)
        _POLICIES[key] = (pack, params.load(Path(config) if config else None, pack))
    return _POLICIES[key]


def _start() -> None:
    """A pool process begins: below the pages' priority, the library imported before the first upload."""
    try:
        os.nice(NICE)
    except (AttributeError, OSError):  # pragma: no cover - not on this platform, or not allowed
        pass
    from .. import engine  # noqa: F401
    from ..workbook import reader, writer  # noqa: F401


class Assessors:
    """The pool of one web worker, with its bound: ``run`` raises Busy when ASSESSORS + QUEUE uploads are in."""

    def __init__(self, policy: str, config: str | None, *, assessors: int = ASSESSORS, queue: int = QUEUE):
        self.policy, self.config = policy, config
        self.size = assessors
        self.capacity = assessors + queue
        self.taken = 0
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fresh interpreter, not a fork of the server's (its event loop, its threads)
            self._pool = ProcessPoolExecutor(self.size, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start)
        return self._pool

    def reserve(self) -> None:
        """Take a place (before the upload's body is read), or Busy."""
        if self.taken >= self.capacity:
            raise Busy
        self.taken += 1

    def release(self) -> None:
        self.taken -= 1

    async def run(self, data: bytes, name: str, year: int) -> Outcome:
        """Assess in the pool; the caller holds a place (reserve/release)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool(), assess_upload, data, name, year, self.policy, self.config)

    def warm(self) -> None:
        """Start the pool's processes now rather than at the first upload."""
        pool = self.pool()
        for _ in range(self.size):
            pool.submit(_noop)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _noop() -> None:
    return None
