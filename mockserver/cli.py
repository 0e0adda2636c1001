"""The ``mockserver`` command (also ``python -m mockserver``).

``serve`` runs the server until Ctrl-C/SIGTERM and then stops cleanly (pending callbacks get
their grace period); ``validate`` checks config and scenario files (exit 2 on problems);
``vendors`` lists every mounted endpoint; ``config`` prints the effective config.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description="Mock server for Thai and Vietnamese SMS provider APIs.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--config", type=Path, help="YAML config merged over the bundled defaults")
    serve.add_argument(
        "--scenario", type=Path, action="append", help="scenario file (repeatable; default scenarios/default.yaml)"
    )
    serve.add_argument("--seed", type=int, help="seed for ids, codes, probabilities and timings")
    serve.add_argument("--clock", choices=("real", "frozen"), default="real", help="start the virtual clock frozen")
    serve.add_argument("--journal-size", type=int, help="messages kept in the journal (default 100000)")
    serve.add_argument("--log-format", choices=("text", "json"), default="text")
    serve.add_argument("--quiet", action="store_true", help="no access log")

    validate = sub.add_parser("validate", help="check config or scenario files")
    validate.add_argument("files", nargs="+", type=Path)

    sub.add_parser("vendors", help="list every mounted endpoint")

    show = sub.add_parser("config", help="print the effective config")
    show.add_argument("--config", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"serve": _serve, "validate": _validate, "vendors": _vendors, "config": _config}[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


def _load_config(path: Path | None):
    from .config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"mockserver: invalid config {path or ''}".rstrip(), file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


def _setup_logging(fmt: str, quiet: bool) -> None:
    if fmt == "json":
        import json

        class JsonFormatter(logging.Formatter):
            def format(self, record: logging.LogRecord) -> str:
                return json.dumps(
                    {"time": self.formatTime(record), "level": record.levelname, "logger": record.name, "message": record.getMessage()},
                    ensure_ascii=False,
                )

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    if quiet:
        logging.getLogger("mockserver.access").setLevel(logging.WARNING)


def _serve(args: argparse.Namespace) -> int:
    _setup_logging(args.log_format, args.quiet)
    config = _load_config(args.config)
    if args.journal_size is not None:
        config.data.setdefault("server", {})["journal_size"] = args.journal_size
    from .app import create_app
    from .scenarios import ScenarioError

    try:
        app = create_app(config, seed=args.seed, scenarios=args.scenario, frozen_clock=args.clock == "frozen")
    except ScenarioError as exc:
        print("mockserver: invalid scenario", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    try:
        asyncio.run(_run(app, args.host, args.port))
    except KeyboardInterrupt:
        pass
    return 0


async def _run(app, host: str, port: int) -> None:
    from aiohttp import web

    from .app import mounted_urls

    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1] if site._server and site._server.sockets else port  # type: ignore[union-attr]
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{bound}"
    lines = [f"sms-mockserver listening on {base}"]
    for title, url, hosts in mounted_urls(app, base):
        lines.append(f"  {title:<22} {url}   (real host: {hosts})")
    lines.append(f"  {'inspection API':<22} {base}/_mock/")
    lines.append(f"  {'web inbox':<22} {base}/_mock/ui/")
    print("\n".join(lines), flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
            pass
    await stop.wait()
    print("sms-mockserver stopping", flush=True)
    await runner.cleanup()


def _validate(args: argparse.Namespace) -> int:
    from .config import check
    from .scenarios import validate
    from .yamlfile import YamlSyntaxError, load

    bad = 0
    for path in args.files:
        try:
            located = load(path)
        except (OSError, YamlSyntaxError) as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            bad += 1
            continue
        data = located.data
        kind = "scenario" if isinstance(data, dict) and "rules" in data else "config"
        problems = validate(located) if kind == "scenario" else check(located)
        if problems:
            bad += 1
            print(f"{path}: invalid {kind}", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
        else:
            print(f"{path}: valid {kind}")
    return EXIT_INVALID if bad else 0


def _vendors(args: argparse.Namespace) -> int:
    from .app import SERVICES, create_app

    app = create_app(scenarios=[])
    for vendor in app[SERVICES].vendors.values():
        for mount in vendor.mounts():
            for op in mount.operations:
                print(f"{vendor.name:<14} {op.name:<18} {op.method:<6} {mount.prefix}{op.path}   real: {', '.join(h + op.path for h in mount.hosts)}")
    return 0


def _config(args: argparse.Namespace) -> int:
    import yaml

    config = _load_config(args.config)
    print(yaml.safe_dump(config.data, allow_unicode=True, sort_keys=False), end="")
    return 0
