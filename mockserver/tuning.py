"""Process-wide tuning for ``mockserver serve`` (never applied to an app embedded in a test
process: the pytest plugin and ``create_app`` leave the host process alone).

Measured with ``benchmarks/run.py`` (SmartSMSBulk SendSMS, 64 connections, 2 cores):

* **GC**: the journal keeps up to ``journal_size`` messages, each a handful of container
  objects, so the cyclic collector's full passes grow with it (50-150 ms pauses, the p99). The
  request path itself creates no reference cycles (see the middleware in :mod:`mockserver.app`),
  so collections can be rarer: everything alive after start-up (modules, schemas, config) is
  frozen out of the collector's reach, and the young generation is collected every 20,000
  allocations instead of 700. Cyclic garbage is still collected.
* **uvloop**, when installed (``pip install sms-mockserver[speed]``), replaces the asyncio loop.
"""

from __future__ import annotations

import asyncio
import gc
import os

GC_THRESHOLDS = (20_000, 20, 10)


def event_loop_policy() -> str:
    """Install uvloop's policy when it is importable (and ``MOCKSERVER_UVLOOP`` is not ``0``);
    returns the loop's name for the banner."""
    if os.environ.get("MOCKSERVER_UVLOOP", "1") != "0":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
            return "uvloop"
    return "asyncio"


def settle_gc() -> None:
    """Once the server is built: collect, freeze what start-up left, collect the young less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
