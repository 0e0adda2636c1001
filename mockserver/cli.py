"""The ``mockserver`` command (also ``python -m mockserver``).

``serve`` runs the server until Ctrl-C/SIGTERM and then stops cleanly (pending callbacks get
their grace period); ``validate`` checks config and scenario files (exit 2 on problems);
``vendors`` lists every mounted endpoint; ``config`` prints the effective config; ``openapi``
prints a vendor's OpenAPI 3.1 document; ``contract check`` reports where recorded traffic drifts
from the schemas (exit 1 on drift).
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
    serve.add_argument(
        "--strict", action="store_true", help="record requests that break a vendor's documented contract (/_mock/violations)"
    )
    serve.add_argument(
        "--fail-on-violation",
        action="store_true",
        help="exit 1 at shutdown when any contract violation was recorded (implies --strict unless the config marks vendors or accounts strict)",
    )

    validate = sub.add_parser("validate", help="check config or scenario files")
    validate.add_argument("files", nargs="+", type=Path)

    sub.add_parser("vendors", help="list every mounted endpoint")

    show = sub.add_parser("config", help="print the effective config")
    show.add_argument("--config", type=Path)

    api = sub.add_parser("openapi", help="print a vendor's OpenAPI 3.1 document")
    api.add_argument("vendor")
    api.add_argument("--base", default="http://127.0.0.1:8080", help="the mock's address in the document's servers")

    contract = sub.add_parser("contract", help="contract checks")
    contract_sub = contract.add_subparsers(dest="contract_command", required=True)
    drift = contract_sub.add_parser("check", help="report where recorded traffic (HAR or JSON Lines) differs from the schemas")
    drift.add_argument("file", type=Path)
    drift.add_argument("--json", action="store_true", help="the report as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {
        "serve": _serve,
        "validate": _validate,
        "vendors": _vendors,
        "config": _config,
        "openapi": _openapi,
        "contract": _contract,
    }[args.command]
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

    strict = args.strict or (args.fail_on_violation and not _config_strict(config))
    try:
        app = create_app(
            config, seed=args.seed, scenarios=args.scenario, frozen_clock=args.clock == "frozen", strict=strict
        )
    except ScenarioError as exc:
        print("mockserver: invalid scenario", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    try:
        asyncio.run(_run(app, args.host, args.port))
    except KeyboardInterrupt:
        pass
    return _violations_exit(app) if args.fail_on_violation else 0


def _config_strict(config) -> bool:
    """Whether the config marks any vendor or account ``strict: true``."""
    for section in (config.data.get("vendors") or {}).values():
        if not isinstance(section, dict):
            continue
        if section.get("strict") is True:
            return True
        for entries in section.values():
            if isinstance(entries, list) and any(isinstance(e, dict) and e.get("strict") is True for e in entries):
                return True
    return False


def _violations_exit(app) -> int:
    from .app import SERVICES

    checker = app[SERVICES].contracts
    if checker is None or checker.total == 0:
        return 0
    print(f"mockserver: {checker.total} contract violation(s) recorded", file=sys.stderr)
    for v in list(checker.violations)[-20:]:
        print(f"  {v.vendor} {v.operation} {v.location}.{v.field}: expected {v.expected}, got {v.got} (request {v.request_id})", file=sys.stderr)
    return 1


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
    from .app import SERVICES

    if app[SERVICES].contracts is not None:
        lines.append(f"  {'contract violations':<22} {base}/_mock/violations   (strict mode)")
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


def _openapi(args: argparse.Namespace) -> int:
    import json

    from .app import SERVICES, create_app
    from .openapi import build

    vendors = create_app(scenarios=[])[SERVICES].vendors
    vendor = vendors.get(args.vendor)
    if vendor is None:
        print(f"mockserver: unknown vendor {args.vendor!r} (known: {', '.join(sorted(vendors))})", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(build(vendor, args.base), ensure_ascii=False, indent=2))
    return 0


def _contract(args: argparse.Namespace) -> int:
    import json

    from .app import SERVICES, create_app
    from .drift import TrafficError, check, render

    vendors = create_app(scenarios=[])[SERVICES].vendors
    try:
        report = check(args.file, vendors)
    except (OSError, TrafficError) as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if report.exchanges == report.unmatched:
        print(f"mockserver: no exchange in {args.file} matched a vendor operation", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else render(report))
    return 1 if report.drifted else 0
