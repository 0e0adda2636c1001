"""Namespaces: isolated worlds of state on one server, created on first use.

Parallel CI jobs, or developers sharing one sandbox, each pick a name (``/ns/job-123/...``) and
get a world of their own: store, balances, scenario rules, clock, rate-limit buckets and random
sequence. A world is whatever the application builds for a name (the HTTP layer's
``Services`` with its vendors); this module only keeps them: creates one on first use, bounds
their number (the least recently used goes first, and the log says so), and drops one on
request. The default world is the server's own and is never evicted or dropped.

Why a bound rather than "as many as asked for": each world holds journals up to its cap, so the
memory of a server stays bounded only if the number of worlds is.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

W = TypeVar("W")

log = logging.getLogger("mockserver.namespaces")

DEFAULT = "default"
# Safe in a URL path segment, a file name and a log line; long enough for "ci-<job>-<attempt>".
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"


class NamespaceError(ValueError):
    """A namespace name that cannot be one (the admin API and the router answer 400)."""


def check_name(name: str) -> str:
    if NAME.fullmatch(name) is None:
        raise NamespaceError(f"bad namespace name {name[:80]!r}: {NAME_RULE}")
    return name


@dataclass(slots=True)
class Namespace(Generic[W]):
    name: str
    world: W
    created_at: float = field(default_factory=time.time)  # wall time, for the listing
    last_used: float = field(default_factory=time.monotonic)


class Namespaces(Generic[W]):
    """The worlds of one server by name. ``make(name)`` builds a world, ``start``/``stop`` run
    and end its timers; ``limit`` bounds the worlds besides the default one."""

    def __init__(
        self,
        default: W,
        make: Callable[[str], W],
        *,
        limit: int,
        start: Callable[[W], None],
        stop: Callable[[W], Coroutine[Any, Any, None]],
        forget: Callable[[str], bool] | None = None,
    ) -> None:
        self.default = Namespace(DEFAULT, default)
        self.limit = limit
        self._make, self._start, self._stop = make, start, stop
        self._forget = forget  # what else a dropped namespace leaves behind (its file) goes with it
        self._named: OrderedDict[str, Namespace[W]] = OrderedDict()  # least recently used first
        self._stopping: set[asyncio.Task[None]] = set()  # evicted worlds still stopping
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._named)

    def __iter__(self) -> Iterator[Namespace[W]]:
        """The default namespace, then the others, least recently used first."""
        yield self.default
        yield from self._named.values()

    def get(self, name: str) -> W | None:
        """The world of an existing namespace (None if it has none yet); no side effect."""
        if name == DEFAULT:
            return self.default.world
        found = self._named.get(name)
        return found.world if found is not None else None

    def use(self, name: str) -> W:
        """The world of ``name``, created (and started) on first use; call it on the server's
        loop. Raises :class:`NamespaceError` for a bad name. Synchronous, so two requests that
        name a new namespace at once get the same world, and so that a test helper can create
        one from the loop's own thread. An evicted world stops in the background: the request
        that evicted it does not wait."""
        if name == DEFAULT:
            return self.default.world
        found = self._named.get(name)
        if found is not None:
            found.last_used = time.monotonic()
            self._named.move_to_end(name)
            return found.world
        check_name(name)
        while len(self._named) >= self.limit:
            oldest, victim = self._named.popitem(last=False)
            self.evicted += 1
            log.warning(
                "namespace %s evicted: %d namespaces is the limit (namespaces.max), it was idle for %.0fs",
                oldest,
                self.limit,
                time.monotonic() - victim.last_used,
            )
            task = asyncio.get_running_loop().create_task(self._stop(victim.world))
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)
        world = self._make(name)
        self._start(world)
        self._named[name] = Namespace(name, world)
        log.info("namespace %s created", name)
        return world

    async def drop(self, name: str) -> bool:
        """Forget ``name``: stop its world and remove what it left behind (``forget``: its file);
        False if it had neither. The default cannot be dropped."""
        if name == DEFAULT:
            raise NamespaceError("the default namespace cannot be dropped (POST /_mock/reset empties it)")
        found = self._named.pop(name, None)
        if found is not None:
            await self._stop(found.world)
        stored = self._forget(name) if self._forget is not None else False
        return found is not None or stored

    async def close(self, stop: Callable[[W], Coroutine[Any, Any, None]] | None = None) -> None:
        """Stop every world but the default (the application stops that one itself), all at
        once, with ``stop`` (default: the one given for evicting and dropping)."""
        worlds = [found.world for found in self._named.values()]
        self._named.clear()
        await asyncio.gather(*((stop or self._stop)(world) for world in worlds), *self._stopping)
