"""``MockServer``: the mock inside a Python program or a test suite, sync or async.

    with MockServer(config=..., scenario=...) as mock:       # a background thread with its own loop
        requests.post(mock.base_url("smartsmsbulk") + "/api/v2/SendSMS", json=...)
        assert mock.messages(phone="66812345678")

    async with MockServer() as mock:                          # on the running event loop
        ...
        message = await mock.wait_for(phone="66812345678")

Both give the same object, and the pytest fixture ``sms_mock`` is one of them. Its helpers read
the server's state directly (no HTTP round trip) and always on the server's own event loop, so
they are safe from any thread. They return the same JSON-shaped dicts as the ``/_mock/`` API.

Why a thread for sync use: a Django or ``requests`` test blocks its thread while it waits for the
answer, so the server must run its loop elsewhere. Why the running loop for ``async with``: an
aiohttp application under test and the mock then share one loop, with no thread at all.

``wait_for`` waits for a message; it blocks when called outside an event loop and returns an
awaitable inside one (``await mock.wait_for(...)``), because blocking a loop that the server or
the code under test runs on would wait forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from aiohttp import web

from mockserver.app import NAMESPACES, SERVICES, create_app, listening
from mockserver.bundled import load_config
from mockserver.core.clock import parse_duration, parse_instant
from mockserver.core.config import Config
from mockserver.core.yamlfile import Located, YamlSyntaxError, loads
from mockserver.engine.namespaces import DEFAULT, check_name
from mockserver.engine.scenarios import Rule, ScenarioError, validate
from mockserver.engine.services import Services
from mockserver.http.edge import Connections, EdgeSettings, Listener, serve

T = TypeVar("T")

RuleSource = str | os.PathLike | Mapping[str, Any] | Sequence[Mapping[str, Any]]


# -- scenario input: YAML text, a file, a rule, a list of rules, or a whole document ------------------
def scenario_rules(source: RuleSource) -> list[dict[str, Any]]:
    """The validated rules of ``source``; raises :class:`ScenarioError` naming line and field.

    ``source`` is a path (``Path``, or a ``str`` naming an existing ``.yaml``/``.yml`` file), YAML
    text, a dict (one rule, or a document with ``rules:``) or a list of rule dicts.
    """
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml")) and Path(source).is_file()
    ):
        path = Path(source)
        try:
            located = loads(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise ScenarioError([f"{path}: {exc.strerror or exc}"]) from None
        except YamlSyntaxError as exc:
            raise ScenarioError([str(exc)]) from None
    elif isinstance(source, str):
        try:
            located = loads(source, "<scenario>")
        except YamlSyntaxError as exc:
            raise ScenarioError([str(exc)]) from None
    else:
        located = Located(source, {}, "<scenario>")
    located = _as_document(located)
    problems = validate(located)
    if problems:
        raise ScenarioError(problems)
    return list((located.data or {}).get("rules") or [])


def _as_document(located: Located) -> Located:
    """A bare rule or a list of rules, wrapped as ``{rules: [...]}`` with its positions kept."""
    data = located.data
    prefix: tuple[str | int, ...]
    if isinstance(data, Mapping) and "rules" not in data:
        data, prefix = [data], ("rules", 0)
    elif isinstance(data, list):
        prefix = ("rules",)
    else:
        return located
    marks = {prefix + path: mark for path, mark in located.marks.items()}
    return Located({"rules": list(data)}, marks, located.source)


def _with_admin_token(config: Any, token: str | None) -> Any:
    """``config`` with ``admin.token`` set (as a dict or a copied :class:`Config`); as it was without a token."""
    if token is None:
        return config
    if isinstance(config, dict):
        return {**config, "admin": {**(config.get("admin") or {}), "token": token}}
    loaded = (
        load_config(config) if not isinstance(config, Config) else Config(copy.deepcopy(config.data), config.sources)
    )
    loaded.data.setdefault("admin", {})["token"] = token
    return loaded


class _StartupScenarios:
    """``MockServer(scenario=...)``: paths are loaded as they are; rules given as text or dicts are
    written to a temporary file for the start-up loader (which keeps them across resets)."""

    def __init__(self, scenario: RuleSource | Iterable[str | os.PathLike] | None) -> None:
        self.files: list[str | os.PathLike] | None = None
        self._tmp: str | None = None
        if scenario is None:
            return
        if isinstance(scenario, os.PathLike) or _is_file_name(scenario):
            self.files = [scenario]  # type: ignore[list-item]
        elif (
            isinstance(scenario, (list, tuple))
            and scenario
            and all(isinstance(s, os.PathLike) or _is_file_name(s) for s in scenario)
        ):
            self.files = list(scenario)
        else:
            rules = scenario_rules(scenario)  # type: ignore[arg-type]
            fd, self._tmp = tempfile.mkstemp(prefix="sms-mock-scenario-", suffix=".yaml")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                yaml.safe_dump({"rules": rules}, fh, allow_unicode=True, sort_keys=False)
            self.files = [self._tmp]

    def cleanup(self) -> None:
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None


def _is_file_name(value: Any) -> bool:
    return isinstance(value, str) and "\n" not in value and value.endswith((".yaml", ".yml"))


# -- the server object --------------------------------------------------------------------------------
class MockClock:
    """The server's virtual clock: ``advance("1h")``, ``set("2026-06-16T10:30:00+07:00")``."""

    def __init__(self, server: MockServer) -> None:
        self._server = server

    def now(self) -> float:
        return self._server._call(lambda s: s.clock.now())

    def advance(self, duration: str | float) -> float:
        """Move time forward; every delivery, expiry and callback that falls due fires at once."""
        seconds = parse_duration(duration)
        return self._server._call(lambda s: (s.clock.advance(seconds), s.clock.now())[1])

    def set(self, instant: str | float) -> float:
        when = parse_instant(instant) if isinstance(instant, str) else float(instant)
        return self._server._call(lambda s: (s.clock.set(when), s.clock.now())[1])

    def freeze(self) -> None:
        self._server._call(lambda s: s.clock.freeze())

    def resume(self) -> None:
        self._server._call(lambda s: s.clock.resume())


class AppliedScenario:
    """What ``scenario(...)`` yields: the rules it added, with their live hit counts."""

    def __init__(self, server: MockServer, rules: list[Rule]) -> None:
        self._server = server
        self._rules = rules

    @property
    def rules(self) -> list[dict[str, Any]]:
        return self._server._call(lambda s: [r.to_dict() for r in self._rules])

    @property
    def hits(self) -> int:
        return sum(rule["hits"] for rule in self.rules)


class MockServer:
    """An sms-mockserver on a real port of this machine (``127.0.0.1``, ephemeral by default).

    ``config``: a dict, a YAML path or a :class:`Config`, merged over the bundled demo accounts.
    ``scenario``: start-up rules, kept across :meth:`reset` (a path, a list of paths, YAML text,
    dicts); default: the shipped ``default.yaml``. ``seed`` makes ids and codes repeatable.
    ``data_dir`` keeps the state in SQLite there and resumes it at the next start (as ``serve
    --data-dir``; :meth:`stop` writes the last of it).
    """

    def __init__(
        self,
        config: Config | Mapping[str, Any] | str | os.PathLike | None = None,
        scenario: RuleSource | Iterable[str | os.PathLike] | None = None,
        *,
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        frozen_clock: bool = False,
        admin_token: str | None = None,
        data_dir: str | os.PathLike | None = None,
    ) -> None:
        self._config = _with_admin_token(dict(config) if isinstance(config, Mapping) else config, admin_token)
        self.admin_token = admin_token
        self._scenario = scenario
        self.seed = seed
        self.host = host
        self.port = port
        self.frozen_clock = frozen_clock
        self.data_dir = data_dir
        self.url = ""
        self.clock = MockClock(self)
        self.app: web.Application | None = None
        self._listener: Listener | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.namespace_name: str | None = None  # set on a view of one namespace (see namespace())

    # -- lifecycle ---------------------------------------------------------------------------
    def _build(self) -> web.Application:
        startup = _StartupScenarios(self._scenario)
        try:
            return create_app(
                self._config,
                seed=self.seed,
                scenarios=startup.files,
                frozen_clock=self.frozen_clock,
                data_dir=self.data_dir,
            )
        finally:
            startup.cleanup()

    async def _serve(self, app: web.Application) -> None:
        settings = EdgeSettings.from_config(app[SERVICES].config.section("server"))
        self._listener = await serve(app, self.host, self.port, settings)
        self.port = self._listener.port
        listening(app, self._listener.addresses)  # callbacks to our own /_mock/ are refused, in every namespace
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{self.port}"

    @property
    def connections(self) -> Connections | None:
        """The running listener's connection figures (``open``, ``refused`` over the cap,
        ``timed_out`` for a request head that came too slowly), or None when not serving: what a
        test of the HTTP edge asserts on."""
        return self._listener.connections if self._listener is not None else None

    async def _shutdown(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    def start(self) -> MockServer:
        """Start in a background thread with its own event loop (for sync code)."""
        if self._loop is not None:
            raise RuntimeError("this MockServer is already running")
        app = self._build()  # config and scenario errors surface here, in the caller's thread
        loop = asyncio.new_event_loop()
        started: list[BaseException | None] = []
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(app))
                started.append(None)
            except BaseException as exc:  # handed to the starting thread
                started.append(exc)
            ready.set()
            if started[0] is None:
                loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="sms-mockserver", daemon=True)
        self._thread.start()
        ready.wait()
        if started[0] is not None:
            self._thread.join()
            self._thread = None
            raise started[0]
        self.app, self._loop = app, loop
        return self

    def stop(self) -> None:
        """Stop the thread started by :meth:`start` (pending callbacks get their grace period).
        On a :meth:`namespace` view, nothing: the server is not the view's to stop."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or self.namespace_name is not None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._loop = self._thread = None

    async def astart(self) -> MockServer:
        """Start on the running event loop (for async code)."""
        if self._loop is not None:
            raise RuntimeError("this MockServer is already running")
        app = self._build()
        await self._serve(app)
        self.app, self._loop = app, asyncio.get_running_loop()
        return self

    async def astop(self) -> None:
        if self.namespace_name is not None:  # a view: the server is not its to stop
            return
        if self._thread is not None:  # started with start(): stop that thread without blocking us
            await asyncio.to_thread(self.stop)
            return
        await self._shutdown()
        self._loop = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> MockServer:
        return await self.astart()

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()

    # -- running code on the server's loop ---------------------------------------------------------
    @property
    def services(self) -> Services:
        if self.app is None:
            raise RuntimeError("the MockServer is not running: use `with MockServer() as mock:`")
        if self.namespace_name is None:
            return self.app[SERVICES]
        world = self.app[NAMESPACES].get(self.namespace_name)
        if world is None:  # evicted or dropped since: used again, it starts afresh (as over HTTP)
            world = self._on_loop(lambda: self.app[NAMESPACES].use(self.namespace_name))  # type: ignore[index,arg-type]
        return world.services

    def namespace(self, name: str) -> MockServer:
        """A view of the running server's namespace ``name`` (created now, if new): the same
        helpers over that namespace's own messages, balances, clock and scenario, and
        :meth:`base_url` under ``/ns/<name>``. Many tests (or pytest-xdist workers) can share
        one server this way, each in its own namespace. Stopping a view does nothing; drop the
        namespace with :meth:`drop_namespace`."""
        if self.app is None:
            raise RuntimeError("the MockServer is not running: use `with MockServer() as mock:`")
        check_name(name)
        view = copy.copy(self)
        view.namespace_name = name if name != DEFAULT else None
        view.clock = MockClock(view)
        _ = view.services  # creates it on the server's loop
        return view

    def drop_namespace(self, name: str) -> bool:
        """Forget namespace ``name`` and its state (False if it had none)."""
        if self.app is None:
            raise RuntimeError("the MockServer is not running")
        namespaces = self.app[NAMESPACES]
        return self._on_loop(lambda: namespaces.drop(name))

    def _on_loop(self, fn: Callable[[], Any]) -> Any:
        """``fn()`` on the server's loop, from any thread (awaited there if it is a coroutine)."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None

        async def call() -> Any:
            result = fn()
            return await result if asyncio.iscoroutine(result) else result

        if loop is None or running is loop or self._thread is None:
            result = fn()
            if asyncio.iscoroutine(result):
                if running is None:
                    return asyncio.run(result) if loop is None else loop.run_until_complete(result)
                result.close()
                raise RuntimeError("await this from a thread other than the server's loop")
            return result
        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=30)

    def _call(self, fn: Callable[[Services], T]) -> T:
        """``fn(services)`` on the server's loop, from any thread, and its result."""
        services, loop = self.services, self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop or self._thread is None:  # stopped: the state stays readable
            return fn(services)

        async def on_loop() -> T:
            return fn(services)

        return asyncio.run_coroutine_threadsafe(on_loop(), loop).result(timeout=30)

    # -- what tests ask --------------------------------------------------------------------------
    def base_url(self, vendor: str) -> str:
        """Where ``vendor``'s API lives on this server: ``http://127.0.0.1:PORT/smartsmsbulk``
        (``.../ns/<name>/smartsmsbulk`` on a :meth:`namespace` view)."""
        found = self.services.vendors.get(vendor)
        if found is None:
            raise KeyError(f"no vendor {vendor!r}; mounted: {', '.join(sorted(self.services.vendors))}")
        return f"{self.mock_url}{found.mounts()[0].prefix}"

    @property
    def mock_url(self) -> str:
        """The root of this namespace on the server: ``url``, or ``url/ns/<name>`` on a view
        (its admin API is ``mock_url + "/_mock/"``)."""
        return f"{self.url}/ns/{self.namespace_name}" if self.namespace_name else self.url

    @property
    def admin_headers(self) -> dict[str, str]:
        """The header a call to this server's ``/_mock/`` needs (none without an admin token)."""
        return {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    @property
    def vendors(self) -> list[str]:
        return sorted(self.services.vendors)

    def reset(self) -> None:
        """Back to the start-up state: journals, balances, OTPs, the scenario, the random sequence."""
        self._call(lambda s: s.reset())

    def messages(self, vendor: str | None = None, phone: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Accepted messages, newest first (``status=``, ``account=``, ``since=``, ``limit=`` too)."""
        return self._call(lambda s: [m.to_dict() for m in s.store.find_messages(vendor=vendor, phone=phone, **filters)])

    def message(self, message_id: str) -> dict[str, Any] | None:
        """One message with the exact request it came from."""

        def get(s: Services) -> dict[str, Any] | None:
            found = s.store.get_message(message_id)
            return found.to_dict(full=True) if found is not None else None

        return self._call(get)

    def otp(self, vendor: str | None, phone: str) -> dict[str, Any] | None:
        """The latest OTP sent to ``phone`` (``["code"]``, ``["ref"]``, ...), or None."""

        def latest(s: Services) -> dict[str, Any] | None:
            found = s.store.latest_otp(vendor, phone)
            return found.to_dict() if found is not None else None

        return self._call(latest)

    def callbacks(
        self, vendor: str | None = None, state: str | None = None, message: str | None = None
    ) -> list[dict[str, Any]]:
        """Delivery callbacks sent (or being retried), newest first, with every attempt."""

        def find(s: Services) -> list[dict[str, Any]]:
            return [
                r.to_dict()
                for r in s.store.iter_callbacks()
                if (vendor is None or r.vendor == vendor)
                and (state is None or r.state == state)
                and (message is None or message in r.message_ids)
            ]

        return self._call(find)

    def requests(self, vendor: str | None = None) -> list[dict[str, Any]]:
        """The request journal, newest first: vendor, operation, status, outcome, latency."""
        return self._call(
            lambda s: [r.to_dict() for r in reversed(s.store.requests) if vendor is None or r.vendor == vendor]
        )

    def deliver(self, message_id: str, status: str = "delivered", code: str | None = None) -> dict[str, Any]:
        """Move a message to a final state now (its delivery report fires)."""

        def finish(s: Services) -> dict[str, Any]:
            found = s.store.get_message(message_id)
            if found is None:
                raise KeyError(f"no message {message_id!r}")
            s.delivery.finish_now(found, status, code)
            return found.to_dict()

        return self._call(finish)

    def wait_for(
        self,
        vendor: str | None = None,
        phone: str | None = None,
        timeout: float = 5.0,
        *,
        count: int = 1,
        **filters: Any,
    ) -> Any:
        """The newest message matching the filters, once at least ``count`` match.

        Blocks outside an event loop; inside one, returns an awaitable (``await mock.wait_for()``).
        Raises ``TimeoutError`` naming what did arrive.
        """
        deadline = time.monotonic() + timeout

        def check() -> dict[str, Any] | None:
            found = self.messages(vendor, phone, **filters)
            return found[0] if len(found) >= count else None

        def give_up() -> TimeoutError:
            seen = [(m["vendor"], m["recipient"], m["text"]) for m in self.messages(limit=10)]
            wanted = {k: v for k, v in {"vendor": vendor, "phone": phone, **filters}.items() if v is not None}
            return TimeoutError(f"no message matching {wanted} within {timeout}s (count={count}); latest: {seen}")

        async def wait_async() -> dict[str, Any]:
            while (found := check()) is None:
                if time.monotonic() >= deadline:
                    raise give_up()
                await asyncio.sleep(0.01)
            return found

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            while (found := check()) is None:
                if time.monotonic() >= deadline:
                    raise give_up() from None
                time.sleep(0.01)
            return found
        return wait_async()

    @contextlib.contextmanager
    def scenario(self, *sources: RuleSource) -> Iterator[AppliedScenario]:
        """Apply scenario rules for the ``with`` block only; they take precedence over the
        start-up scenario. Sources: YAML text, a file path, a rule dict, a list of rules."""
        rules = [rule for source in sources for rule in scenario_rules(source)]

        def add(s: Services) -> list[Rule]:
            # Runtime rules go before the loaded ones, in order: the first match decides, so the
            # test's rules win over the start-up scenario.
            return [s.scenarios.add(spec, source="sms_mock.scenario") for spec in rules]

        def remove(s: Services) -> None:
            for rule in added:
                s.scenarios.remove(rule.id)

        added = self._call(add)
        try:
            yield AppliedScenario(self, added)
        finally:
            self._call(remove)

    def __repr__(self) -> str:
        return f"<MockServer {self.mock_url or 'stopped'}>"


__all__ = ["AppliedScenario", "MockClock", "MockServer", "ScenarioError", "scenario_rules"]
