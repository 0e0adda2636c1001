"""``create_app(config)``: the aiohttp application with every vendor and ``/_mock/`` mounted.

The assembly only: the services, the vendors (served under their prefixes and at their real host
names by :mod:`mockserver.http.routing`), the admin API, start-up and clean-up.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from aiohttp import web

from mockserver.bundled import build_config, config_from_dict, load_config
from mockserver.core.config import Config
from mockserver.core.datadir import DataDir
from mockserver.engine.namespaces import Namespaces
from mockserver.engine.persistence import attach
from mockserver.engine.services import Services
from mockserver.http import unmapped
from mockserver.http.namespaced import World, header_selector, mount_namespaced
from mockserver.http.routing import RealHosts, mount_vendor
from mockserver.http.vendor import Vendor

SERVICES = web.AppKey("services", Services[Vendor])  # the default namespace's
NAMESPACES = web.AppKey("namespaces", Namespaces[World])
LISTENING = web.AppKey("listening", list[Any])  # the addresses the server listens on, once it does


def default_scenario_files() -> list[Path]:
    from mockserver.core.scenario_files import find_scenario

    path = find_scenario("default")
    return [path] if path is not None else []


def namespace_seed(seed: int | None, name: str) -> int | None:
    """A namespace's seed, derived from the server's and the name: each namespace repeats its own
    ids and codes run after run, whatever the others do (no seed: random, as the server's)."""
    if seed is None:
        return None
    return int.from_bytes(hashlib.sha256(f"{seed}/{name}".encode()).digest()[:8], "big")


def build_world(
    config: Config, *, seed: int | None, frozen_clock: bool, strict: bool, journal_size: int | None = None
) -> Services[Vendor]:
    """One namespace's services with an instance of every vendor (its own accounts, balances and
    tables, from the config). The start-up scenario is loaded by the caller."""
    services: Services[Vendor] = Services.build(config, seed=seed, frozen_clock=frozen_clock, journal_size=journal_size)
    from mockserver.vendors import discover

    for vendor_class in discover():
        vendor = vendor_class(services, config.vendor(vendor_class.name))
        services.vendors[vendor.name] = vendor
        services.delivery.listeners[vendor.name] = vendor.on_status
        services.delivery.acts_on[vendor.name] = vendor.reports_on
    from mockserver.contracts.strict import build as build_strict

    services.contracts = build_strict(config, services.vendors, everything=strict, clock=services.clock)
    return services


async def start_world(services: Services[Vendor]) -> None:
    await services.clock.start()
    await services.callbacks.start()


async def stop_world(services: Services[Vendor], grace: float | None = None) -> None:
    await services.callbacks.stop(grace)
    await services.clock.stop()


def create_app(
    config: Config | dict[str, Any] | str | Path | None = None,
    *,
    seed: int | None = None,
    scenarios: Iterable[str | os.PathLike[str]] | None = None,
    frozen_clock: bool = False,
    strict: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
) -> web.Application:
    """Build the server. ``config`` is a :class:`Config`, a dict, a YAML path or None (defaults);
    ``scenarios`` are scenario files loaded at start-up (default: ``scenarios/default.yaml``);
    ``strict`` checks every accepted request against its contract (see :mod:`mockserver.contracts.strict`);
    ``data_dir`` keeps the state in SQLite there and resumes it (see :mod:`mockserver.engine.persistence`;
    raises :class:`~mockserver.core.datadir.DataDirError` for a directory that cannot be used)."""
    if config is None:
        config = build_config(None)
    elif isinstance(config, dict):
        config = config_from_dict(config)
    elif isinstance(config, str | Path):
        config = load_config(config)
    services = build_world(config, seed=seed, frozen_clock=frozen_clock, strict=strict)
    # After the vendors: scenarios are checked against their tables and expand per vendor.
    services.scenarios.load_startup(default_scenario_files() if scenarios is None else [Path(p) for p in scenarios])

    settings = config.section("namespaces")
    listening: list[Any] = []  # the addresses the server listens on (callbacks to them are refused)
    # --data-dir: held (locked) for the life of the app; each namespace's world is a file in it.
    held = DataDir.acquire(data_dir) if data_dir is not None else None
    try:
        stored = attach(services, held.world()) if held is not None else None
    except BaseException:
        if held is not None:
            held.close()
        raise

    def make(name: str) -> World:
        state = build_world(
            config,
            seed=namespace_seed(seed, name),
            frozen_clock=frozen_clock,
            strict=strict,
            journal_size=int(settings.get("journal_size", 5_000)),
        )
        state.scenarios.start_like(services.scenarios)
        if listening:
            state.callbacks.listening(listening)
        world = World.of(state)
        if held is not None:  # its file restores what it held (a namespace evicted or from before a restart)
            world.persistence = attach(state, held.world(name))
        return world

    def start(world: World) -> None:
        world.services.clock.start_now()
        world.services.callbacks.start_now()
        if world.persistence is not None:
            world.persistence.start_now()

    async def stop(world: World) -> None:
        # An evicted or dropped namespace leaves memory: its open event streams end (each one's
        # handler holds the world and would keep it alive), its pending callbacks get no grace.
        # With a data dir its file keeps it (written last here), and its next use restores it.
        if world.admin is not None:
            await world.admin.shutdown()
        await stop_world(world.services, grace=0)
        if world.persistence is not None:
            await world.persistence.close()

    def forget(name: str) -> bool:
        """A dropped namespace's file goes too (dropping means its state is gone); True if it had one."""
        if held is None:
            return False
        path = held.world(name)
        existed = path.exists()
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return existed

    namespaces = Namespaces(
        World.of(services, stored),
        make,
        limit=int(settings.get("max", 32)),
        start=start,
        stop=stop,
        forget=forget,
    )

    real_hosts = RealHosts()
    app = web.Application(client_max_size=config.max_body_bytes)
    app[SERVICES] = services
    app[NAMESPACES] = namespaces
    app[LISTENING] = listening
    select = header_selector(namespaces)
    for vendor in services.vendors.values():
        mount_vendor(app, vendor, real_hosts, select)

    from mockserver.inspection.admin import admin_app
    from mockserver.inspection.namespaces import namespaced_admin_app

    admin = admin_app(services, namespaces)
    # Built before /_mock is mounted: it copies the admin paths as they are before the prefix.
    namespaced_admin = namespaced_admin_app(services, namespaces, template=admin)
    for sub in (admin, namespaced_admin):  # a real host name owns /_mock/ and /ns/ too
        sub.middlewares.insert(0, real_hosts.middleware)
    app.add_subapp("/_mock", admin)
    # /ns/<name>/...: the vendors first (their own 404s under each prefix), then /_mock/.
    mount_namespaced(app, services.vendors.values(), namespaces, real_hosts.guard)
    app.add_subapp("/ns", namespaced_admin)
    # Last: whatever no vendor and no /_mock/ route serves gets a JSON 404 naming what is served.
    app.router.add_route("*", "/{tail:.*}", real_hosts.guard(unmapped.handler(services.vendors.values())))

    async def start_app(_: web.Application) -> None:
        await start_world(services)
        if stored is not None:
            stored.start_now()

    async def stop_app(_: web.Application) -> None:
        # Every world gets its callbacks' grace, then its last flush (the state on disk is the
        # state the server stopped with); the data dir's lock goes last.
        async def stop_named(world: World) -> None:
            await stop_world(world.services)
            if world.persistence is not None:
                await world.persistence.close()

        try:
            await namespaces.close(stop_named)
            await stop_world(services)
            if stored is not None:
                await stored.close()
        finally:
            if held is not None:
                held.close()

    app.on_startup.append(start_app)
    app.on_cleanup.append(stop_app)
    return app


def listening(app: web.Application, addresses: Iterable[Any]) -> None:
    """Tell every namespace, present and future, the addresses the server listens on: callbacks
    to the mock's own ``/_mock/`` are refused (see :mod:`mockserver.engine.egress`)."""
    known: list[Any] = app[LISTENING]
    known[:] = list(addresses)
    for namespace in app[NAMESPACES]:  # the default one first
        namespace.world.services.callbacks.listening(known)


def requests_served(app: web.Application) -> Callable[[], int]:
    """What the server's full-collection timer watches for activity
    (:func:`~mockserver.core.tuning.collect_periodically`): the vendor requests journaled in every
    namespace, plus one per eviction (an evicted world takes its count away). Namespaces count:
    with traffic only under ``/ns/<name>/`` the full collection must run too, and an evicted
    world (its services, vendors and tables refer to each other) is freed only by one."""
    namespaces = app[NAMESPACES]

    def served() -> int:
        return namespaces.evicted + sum(ns.world.services.store.requests_seen for ns in namespaces)

    return served


def mounted_urls(app: web.Application, base: str) -> list[tuple[str, str, str]]:
    """(vendor title, URL on the mock, real hosts) for the start-up banner."""
    services = app[SERVICES]
    rows = []
    for vendor in services.vendors.values():
        for mount in vendor.mounts():
            rows.append((vendor.title, f"{base}{mount.prefix}", ", ".join(mount.hosts)))
    return rows
