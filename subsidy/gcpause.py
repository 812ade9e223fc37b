"""The cyclic garbage collector paused while a batch is bulk-built or bulk-written.

Reading, assessing and writing 100k claims make and hold hundreds of thousands of small acyclic objects (models,
lines, reasons, rows): every few thousand allocations the collector would rescan them all and find nothing to free —
it nearly doubles the reader's and the engine's time and adds a fifth to the writer's (issue 12). Reference
counting still frees everything as usual; the collector resumes as it was when the block ends.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
