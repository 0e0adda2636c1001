"""``create_app(config)``: the aiohttp application with every vendor and ``/_mock/`` mounted.

The assembly only: the services, the vendors (served under their prefixes and at their real host
names by :mod:`mockserver.http.routing`), the admin API, start-up and clean-up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiohttp import web

from mockserver.bundled import build_config, config_from_dict, load_config
from mockserver.core.config import Config
from mockserver.engine.services import Services
from mockserver.http import unmapped
from mockserver.http.routing import mount_vendor
from mockserver.http.vendor import Vendor

SERVICES = web.AppKey("services", Services[Vendor])


def default_scenario_files() -> list[Path]:
    from mockserver.core.scenario_files import find_scenario

    path = find_scenario("default")
    return [path] if path is not None else []


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
    services: Services[Vendor] = Services.build(config, seed=seed, frozen_clock=frozen_clock)

    app = web.Application(client_max_size=config.max_body_bytes)
    app[SERVICES] = services

    from mockserver.vendors import discover

    for vendor_class in discover():
        vendor = vendor_class(services, config.vendor(vendor_class.name))
        services.vendors[vendor.name] = vendor
        services.delivery.listeners[vendor.name] = vendor.on_status
    from mockserver.contracts.strict import build as build_strict

    services.contracts = build_strict(config, services.vendors, everything=strict, clock=services.clock)
    for vendor in services.vendors.values():
        mount_vendor(app, vendor, config.max_body_bytes)
    # After the vendors: scenarios are checked against their tables and expand per vendor.
    services.scenarios.load_startup(default_scenario_files() if scenarios is None else [Path(p) for p in scenarios])

    from mockserver.inspection.admin import admin_app

    app.add_subapp("/_mock", admin_app(services))
    # Last: whatever no vendor and no /_mock/ route serves gets a JSON 404 naming what is served.
    app.router.add_route("*", "/{tail:.*}", unmapped.handler(services.vendors.values()))

    async def start(_: web.Application) -> None:
        await services.clock.start()
        await services.callbacks.start()

    async def stop(_: web.Application) -> None:
        await services.callbacks.stop()
        await services.clock.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    if data_dir is not None:
        _persist(app, services, Path(data_dir))
    return app


# -- persistence (--data-dir) -------------------------------------------------------------------------
PERSISTENCE = web.AppKey("persistence", object)


def _persist(app: web.Application, services: Services[Vendor], data_dir: Path) -> None:
    """Hold ``data_dir``, restore its default world into ``services`` and keep it written: the
    writer starts with the app and flushes last at clean-up, after the callbacks' grace period
    (appended after ``stop``), so the state on disk is the state the server stopped with."""
    from mockserver.core.datadir import DataDir
    from mockserver.engine.persistence import attach

    held = DataDir.acquire(data_dir)
    try:
        persistence = attach(services, held.world())
    except BaseException:
        held.close()
        raise
    app[PERSISTENCE] = persistence

    async def start(_: web.Application) -> None:
        await persistence.start()

    async def close(_: web.Application) -> None:
        try:
            await persistence.close()
        finally:
            held.close()

    app.on_startup.append(start)
    app.on_cleanup.append(close)


def mounted_urls(app: web.Application, base: str) -> list[tuple[str, str, str]]:
    """(vendor title, URL on the mock, real hosts) for the start-up banner."""
    services = app[SERVICES]
    rows = []
    for vendor in services.vendors.values():
        for mount in vendor.mounts():
            rows.append((vendor.title, f"{base}{mount.prefix}", ", ".join(mount.hosts)))
    return rows
