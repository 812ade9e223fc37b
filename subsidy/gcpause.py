"""The cyclic garbage collector paused while a batch is bulk-built or bulk-written.

Reading, assessing and writing 100k claims make and hold hundreds of thousands of small acyclic objects (models,
lines, reasons, rows): every few thousand allocations the collector would rescan them all and find nothing to free —
it nearly doubles the reader's and the engine's time and adds a fifth to the writer's (issue 12). Reference
counting still frees everything as usual; the collector resumes as it was when the block ends.

What the block built is handed to the oldest generation as it ends (``gc.freeze()`` then ``gc.unfreeze()``: two
list splices, nothing scanned). Left in the youngest generation, the first allocation after the block would scan
every one of those objects at once (0.05–0.1 s after reading 100k claims) only to find them all alive; in the
oldest they are looked at by the next full collection, as any long-lived object is. Nothing is kept alive longer:
a collection of the oldest generation still finds any cycle among them. When some code has frozen objects itself
(a server before forking), the hand-over is skipped: it would thaw them.
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
            if not gc.get_freeze_count():  # (objects someone else froze on purpose are never thawed here)
                gc.freeze()  # every tracked object to the permanent generation…
                gc.unfreeze()  # …and from there to the oldest one: none of them scanned now
            gc.enable()
