"""The garbage collector in a serving worker: the heap left by start-up is frozen.

A worker's start-up leaves hundreds of thousands of long-lived objects (modules, the ORM's
mappers and compiled-statement caches, FastAPI's routes and Pydantic validators, the commune
locator). CPython's full (generation-2) collection walks all of them every time it runs, and
it runs on the allocation count, i.e. in the middle of whichever request allocated last: on
the review and intake benchmarks those collections were the slow requests (54-140 ms each).
``gc.freeze()`` moves everything alive into the permanent generation, which collections no
longer visit; what is allocated afterwards is collected as before, and frozen objects are
still freed by reference counting. Only a cycle among frozen objects stays for the life of
the process, which is why this runs once, at the end of a worker's start-up, and only where
``TINBAO_GC_FREEZE`` is on (``tinbao serve`` sets it), not in every app a test builds.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("tinbao")


def freeze_startup_heap() -> int:
    """Collect what start-up left as garbage, then freeze the rest; returns how many objects
    were frozen (all of ``gc.get_freeze_count()``)."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("gc: %d objects of the start-up heap frozen", frozen)
    return frozen
