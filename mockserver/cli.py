"""The ``mockserver`` command (also ``python -m mockserver``).

``serve`` runs the server until Ctrl-C/SIGTERM and then stops cleanly (pending callbacks get
their grace period); every option has a ``MOCKSERVER_*`` environment variable, which is how the
Docker image is configured. ``validate`` checks config and scenario files (exit 2 on problems);
``vendors`` lists every mounted endpoint; ``checksum`` signs a request as the server verifies it;
``health`` asks a running server whether it is up (the image's HEALTHCHECK); ``config`` prints
the effective config; ``magic`` prints the magic recipient numbers as a markdown table;
``openapi`` prints a vendor's OpenAPI 3.1 document; ``contract check`` reports where recorded
traffic drifts from the schemas (exit 1 on drift); ``export``/``import`` move a data directory's
state as JSON lines (while no server holds the directory).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from mockserver import __version__

EXIT_INVALID = 2
EXIT_FAILED = 1


class BadValue(argparse.ArgumentTypeError, ValueError):
    """A value an option does not take: argparse shows its message as it is, and the
    environment-variable path (which catches ValueError) does too."""


class Parser(argparse.ArgumentParser):
    """Usage errors are one line (``mockserver serve: error: ...; see --help``) and exit 2:
    argparse's default reprints the whole usage block above the one line that matters."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# -- serve's options and their environment variables ------------------------------------------------
def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise BadValue("expected true or false")


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise BadValue(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise BadValue(f"port {port} is out of range 0-65535 (0 picks a free one)")
    return port


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise BadValue(f"not a whole number: {value!r}") from None
    if number < 1:
        raise BadValue(f"must be at least 1, got {number}")
    return number


def _seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise BadValue(f"not a number of seconds: {value!r}") from None
    if not number > 0:
        raise BadValue(f"must be more than 0 seconds, got {value}")
    return number


def _paths(value: str) -> list[str]:
    return [part for part in value.split(os.pathsep) if part]


def _choice(*allowed: str) -> Callable[[str], str]:
    def convert(value: str) -> str:
        if value not in allowed:
            raise BadValue(f"expected one of {', '.join(allowed)}")
        return value

    convert.choices = allowed  # type: ignore[attr-defined]  # shown by --help
    return convert


@dataclass(frozen=True)
class Option:
    flag: str
    env: str
    convert: Callable[[str], Any]
    default: Any
    help: str


SERVE_OPTIONS = (
    Option("--host", "MOCKSERVER_HOST", str, "127.0.0.1", "address to bind; 0.0.0.0 for every interface"),
    Option("--port", "MOCKSERVER_PORT", _port, 8080, "port; 0 picks a free one"),
    Option("--config", "MOCKSERVER_CONFIG", str, None, "YAML config merged over the bundled defaults"),
    Option(
        "--scenario",
        "MOCKSERVER_SCENARIO",
        _paths,
        None,
        f"scenario file, directory of them, or shipped scenario name; repeatable (env: {os.pathsep}-separated); "
        "default: default.yaml",
    ),
    Option("--seed", "MOCKSERVER_SEED", int, None, "seed for ids, codes, probabilities and timings"),
    Option(
        "--clock", "MOCKSERVER_CLOCK", _choice("real", "frozen"), "real", "real, or frozen until moved by /_mock/clock"
    ),
    Option(
        "--journal-size", "MOCKSERVER_JOURNAL_SIZE", _positive, None, "messages kept in the journal (default 100000)"
    ),
    Option(
        "--log-format", "MOCKSERVER_LOG_FORMAT", _choice("text", "json"), "text", "access log as text or JSON lines"
    ),
    Option("--quiet", "MOCKSERVER_QUIET", _bool, False, "no access log"),
    Option(
        "--strict",
        "MOCKSERVER_STRICT",
        _bool,
        False,
        "record requests that break a vendor's documented contract (/_mock/violations)",
    ),
    Option(
        "--fail-on-violation",
        "MOCKSERVER_FAIL_ON_VIOLATION",
        _bool,
        False,
        "exit 1 at shutdown when any contract violation was recorded "
        "(implies --strict unless the config marks vendors or accounts strict)",
    ),
    Option(
        "--admin-token",
        "MOCKSERVER_ADMIN_TOKEN",
        str,
        None,
        "every /_mock/ request then needs Authorization: Bearer <token> (config admin.token)",
    ),
    Option("--header-timeout", "MOCKSERVER_HEADER_TIMEOUT", float, None, "seconds to send a request head (default 10)"),
    Option("--body-timeout", "MOCKSERVER_BODY_TIMEOUT", float, None, "seconds to send a request body (default 30)"),
    Option("--keepalive-timeout", "MOCKSERVER_KEEPALIVE_TIMEOUT", float, None, "idle keep-alive seconds (default 15)"),
    Option("--max-connections", "MOCKSERVER_MAX_CONNECTIONS", int, None, "open connections at most (default 1000)"),
    Option(
        "--data-dir",
        "MOCKSERVER_DATA_DIR",
        str,
        None,
        "keep the state in SQLite in this directory and resume it at the next start (default: in memory)",
    ),
)
BOOLEAN_FLAGS = ("--quiet", "--strict", "--fail-on-violation")
# serve options that land in the config's server: section (where the file may set them too)
SERVER_LIMITS = ("journal_size", "header_timeout", "body_timeout", "keepalive_timeout", "max_connections")


def _dest(option: Option) -> str:
    return option.flag.lstrip("-").replace("-", "_")


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    for opt in SERVE_OPTIONS:
        text = f"{opt.help} (env {opt.env}" + (f", default {opt.default})" if opt.default not in (None, False) else ")")
        if opt.flag in BOOLEAN_FLAGS:
            parser.add_argument(opt.flag, action="store_true", default=None, help=text)
        elif opt.flag == "--scenario":
            parser.add_argument(opt.flag, action="append", default=None, help=text)
        elif hasattr(opt.convert, "choices"):
            parser.add_argument(opt.flag, choices=opt.convert.choices, default=None, help=text)
        else:
            parser.add_argument(opt.flag, type=opt.convert, default=None, help=text)


def _resolve_serve_options(args: argparse.Namespace, parser: argparse.ArgumentParser, env: dict[str, str]) -> None:
    """Fill each option from the command line, else its environment variable, else its default."""
    for opt in SERVE_OPTIONS:
        dest = _dest(opt)
        given = getattr(args, dest)
        try:
            if given is not None:  # argparse converted (or checked) it already
                value = given
            elif env.get(opt.env, "") != "":
                value = opt.convert(env[opt.env])
            else:
                value = opt.default
        except ValueError as exc:
            source = f"{opt.flag} {given}" if given is not None else f"{opt.env}={env[opt.env]!r}"
            parser.error(f"{source}: {exc}")
        setattr(args, dest, value)


# -- the parser ----------------------------------------------------------------------------------------
def _parser() -> tuple[Parser, dict[str, Parser]]:
    parser = Parser(prog="mockserver", description="Mock server for Thai and Vietnamese SMS provider APIs.")
    parser.add_argument("--version", action="version", version=f"sms-mockserver {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subs = {}

    serve = subs["serve"] = sub.add_parser("serve", help="run the server", allow_abbrev=False)
    _add_serve_options(serve)

    validate = subs["validate"] = sub.add_parser("validate", help="check config or scenario files (exit 2 on problems)")
    validate.add_argument("files", nargs="+", type=Path)

    magic = subs["magic"] = sub.add_parser("magic", help="print the magic recipient numbers of every vendor (markdown)")
    magic.add_argument("--vendor", action="append", help="only these vendors (repeatable)")

    vendors = subs["vendors"] = sub.add_parser("vendors", help="list every mounted endpoint")
    vendors.add_argument("--json", action="store_true", help="as JSON")

    checksum = subs["checksum"] = sub.add_parser(
        "checksum",
        help="compute a request's checksum exactly as the server verifies it",
        description="mockserver checksum smartsmsbulk send_sms --userId 42 --partnerId 21 --senderId 25 "
        "--phoneNo 66812345678 --message Hello  (the secret, e.g. --apiKey, is looked up in the config when omitted)",
        allow_abbrev=False,
    )
    checksum.add_argument("vendor", nargs="?")
    checksum.add_argument("operation", nargs="?")
    checksum.add_argument(
        "--config", type=Path, help="config to look the secret up in (default: the bundled demo accounts)"
    )
    checksum.add_argument("--explain", action="store_true", help="also print the exact text that is hashed")

    health = subs["health"] = sub.add_parser("health", help="exit 0 when a running server answers /_mock/health")
    health.add_argument(
        "--url", help="base URL (default: from MOCKSERVER_HOST and MOCKSERVER_PORT, else 127.0.0.1:8080)"
    )
    health.add_argument("--timeout", type=_seconds, default=3.0, help="seconds to wait (default 3)")
    health.add_argument("--admin-token", help="the server's admin token (default: MOCKSERVER_ADMIN_TOKEN)")

    show = subs["config"] = sub.add_parser("config", help="print the effective config")
    show.add_argument("--config", type=Path)

    api = subs["openapi"] = sub.add_parser("openapi", help="print a vendor's OpenAPI 3.1 document")
    api.add_argument("vendor")
    api.add_argument("--base", default="http://127.0.0.1:8080", help="the mock's address in the document's servers")

    contract = subs["contract"] = sub.add_parser("contract", help="contract checks")
    contract_sub = contract.add_subparsers(dest="contract_command", required=True, metavar="check")
    drift = contract_sub.add_parser(
        "check", help="report where recorded traffic (HAR or JSON Lines) differs from the schemas"
    )
    drift.add_argument("file", type=Path)
    drift.add_argument("--json", action="store_true", help="the report as JSON")

    export = subs["export"] = sub.add_parser(
        "export", help="write a data dir's state as JSON lines (no server may hold the dir)"
    )
    export.add_argument("file", help="the JSON-lines file to write; - for standard output")
    import_ = subs["import"] = sub.add_parser(
        "import", help="replace a data dir's state with an exported JSON-lines file (checked first)"
    )
    import_.add_argument("file", help="the JSON-lines file to read; - for standard input")
    for command in (export, import_):
        command.add_argument("--data-dir", help="the data directory (default: MOCKSERVER_DATA_DIR)")
        command.add_argument("--namespace", help="the world to export or import (default: default; import: the file's)")
    return parser, subs


def main(argv: list[str] | None = None) -> int:
    parser, subs = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "checksum":
        args.fields = extra
    elif extra:
        subs[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "serve":
        _resolve_serve_options(args, subs["serve"], dict(os.environ))
    handler = {
        "serve": _serve,
        "validate": _validate,
        "vendors": _vendors,
        "checksum": _checksum,
        "health": _health,
        "config": _config,
        "magic": _magic,
        "openapi": _openapi,
        "contract": _contract,
        "export": _export,
        "import": _import,
    }[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


def _load_config(path: Path | str | None):
    from mockserver.bundled import load_config
    from mockserver.core.config import ConfigError

    if path is not None and not Path(path).is_file():
        print(f"mockserver: invalid config {path}: no such file", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"mockserver: invalid config {path or ''}".rstrip(), file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


# -- serve --------------------------------------------------------------------------------------------
class JsonFormatter(logging.Formatter):
    """One JSON object per line; an access-log line carries its fields (vendor, operation, ...)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def _setup_logging(fmt: str, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("mockserver.access").setLevel(logging.WARNING if quiet else logging.INFO)


def scenario_files(values: list[str] | None) -> list[Path] | None:
    """``--scenario`` values as files: a file, every ``*.yaml``/``*.yml`` of a directory (in name
    order), or the name of a shipped scenario (``default``, found in ``MOCKSERVER_SCENARIOS_DIR``
    first). None (no option) means the default scenario. Raises ``FileNotFoundError``."""
    if values is None:
        return None
    from mockserver.core.scenario_files import find_scenario

    files: list[Path] = []
    for value in values:
        path = Path(value)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif (shipped := find_scenario(value)) is not None and os.sep not in value:
            files.append(shipped)
        else:
            raise FileNotFoundError(f"no scenario file, directory or shipped scenario named {value!r}")
    return files


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    # SIGTERM while starting up ends as quietly as Ctrl-C; as PID 1 in a container an unhandled
    # SIGTERM would even be ignored until `docker stop` gives up and kills.
    signal.signal(signal.SIGTERM, _interrupt)
    _setup_logging(args.log_format, args.quiet)
    config = _load_config(args.config)
    for name in SERVER_LIMITS:
        if getattr(args, name) is not None:
            config.data.setdefault("server", {})[name] = getattr(args, name)
    if args.admin_token:
        config.data.setdefault("admin", {})["token"] = args.admin_token
    if not (config.section("admin").get("token") or _loopback(args.host)):
        print(
            f"mockserver: warning: serving on {args.host} without an admin token: anyone who can reach this "
            "address can read OTP codes and reset the mock through /_mock/ (set --admin-token)",
            file=sys.stderr,
        )
    from mockserver.app import create_app
    from mockserver.core.datadir import DataDirError
    from mockserver.engine.scenarios import ScenarioError

    strict = args.strict or (args.fail_on_violation and not _config_strict(config))
    try:
        scenarios = scenario_files(args.scenario)
        app = create_app(
            config,
            seed=args.seed,
            scenarios=scenarios,
            frozen_clock=args.clock == "frozen",
            strict=strict,
            data_dir=args.data_dir,
        )
    except DataDirError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except FileNotFoundError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except ScenarioError as exc:
        print("mockserver: invalid scenario", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INVALID
    try:
        from mockserver.core.tuning import event_loop_policy

        event_loop_policy()
        asyncio.run(_run(app, args.host, args.port, banner_facts(args, app, scenarios)))
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were in place
        pass
    except OSError as exc:
        print(f"mockserver: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
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
    from mockserver.app import SERVICES

    checker = app[SERVICES].contracts
    if checker is None or checker.total == 0:
        return 0
    print(f"mockserver: {checker.total} contract violation(s) recorded", file=sys.stderr)
    for v in list(checker.violations)[-20:]:
        print(
            f"  {v.vendor} {v.operation} {v.location}.{v.field}: expected {v.expected}, got {v.got} "
            f"(request {v.request_id})",
            file=sys.stderr,
        )
    return 1


def _loopback(host: str) -> bool:
    from mockserver.inspection.guard import is_loopback

    return is_loopback(host.lower())


def banner_facts(args: argparse.Namespace, app, scenarios: list[Path] | None) -> list[tuple[str, str]]:
    """What is in effect, for the start-up banner: so that a log shows which config, scenarios,
    seed and clock a run had. Options that a build may not have yet (an admin token, a data
    directory) are shown when the namespace carries them."""
    from mockserver.app import SERVICES

    services = app[SERVICES]
    if scenarios is None:
        from mockserver.app import default_scenario_files

        shown = ", ".join(str(p) for p in default_scenario_files()) or "none"
        shown = f"{shown} (default)"
    else:
        shown = ", ".join(str(p) for p in scenarios) or "none"
    seed = services.rng.seed
    facts = [
        ("version", __version__),
        ("config", str(args.config) if args.config else "bundled demo accounts"),
        ("scenarios", shown),
        ("seed", str(seed) if args.seed is not None else f"{seed} (random; --seed {seed} repeats this run)"),
        ("clock", args.clock),
    ]
    token = getattr(args, "admin_token", None)
    if token is not None:
        facts.append(("admin token", "set (the /_mock API needs it)" if token else "none"))
    data_dir = getattr(args, "data_dir", None)
    if data_dir:
        facts.append(("data dir", str(data_dir)))
    return facts


async def _run(app, host: str, port: int, facts: Sequence[tuple[str, str]] = ()) -> None:
    from mockserver.app import NAMESPACES, SERVICES, listening, mounted_urls, requests_served
    from mockserver.http.edge import EdgeSettings, serve

    listener = await serve(app, host, port, EdgeSettings.from_config(app[SERVICES].config.section("server")))
    from mockserver.core.tuning import collect_periodically, settle_gc

    settle_gc()
    listening(app, listener.addresses)  # callbacks to our own /_mock/ are refused, in every namespace
    namespaces = app[NAMESPACES]
    # Every namespace's requests: traffic only under /ns/<name>/ needs the full collections too.
    collector = asyncio.get_running_loop().create_task(collect_periodically(requests_served(app)))
    bound = listener.port
    shown_host = f"[{host}]" if ":" in host else host
    base = f"http://{shown_host}:{bound}"
    lines = [f"sms-mockserver listening on {base}"]
    lines += [f"  {name:<22} {value}" for name, value in facts]
    for title, url, hosts in mounted_urls(app, base):
        lines.append(f"  {title:<22} {url}   (real host: {hosts})")
    lines.append(f"  {'inspection API':<22} {base}/_mock/")
    lines.append(f"  {'web inbox':<22} {base}/_mock/ui/")
    lines.append(f"  {'namespaces':<22} {base}/ns/<name>/...   (up to {namespaces.limit}; {base}/_mock/namespaces)")

    if app[SERVICES].contracts is not None:
        lines.append(f"  {'contract violations':<22} {base}/_mock/violations   (strict mode)")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:  # before the banner: whoever reads it may signal us
        with contextlib.suppress(NotImplementedError, RuntimeError):  # non-Unix
            loop.add_signal_handler(sig, stop.set)
    print("\n".join(lines), flush=True)
    await stop.wait()
    collector.cancel()
    await _shutdown(app, listener, loop, signals)


async def _shutdown(app, listener, loop, signals) -> None:
    """Stop taking requests, give pending callbacks their grace period, log what is left.

    A second SIGINT/SIGTERM during the grace period cuts it short (the pending callbacks are
    still logged with their payloads).
    """
    from mockserver.app import SERVICES

    services = app[SERVICES]
    dispatcher = services.callbacks
    pending = dispatcher.pending()
    print(
        f"sms-mockserver stopping: {pending} callback(s) pending, grace {dispatcher.settings.grace:g}s",
        flush=True,
    )

    def hurry() -> None:
        print("sms-mockserver: second signal, cutting the grace period short", flush=True)
        dispatcher.hurry()

    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # non-Unix
            loop.add_signal_handler(sig, hurry)
    await listener.close()  # the runner's cleanup runs app.on_cleanup: the dispatcher's stop() with its grace
    counts = dispatcher.counts()
    print(
        "sms-mockserver stopped: callbacks "
        + ", ".join(f"{state} {n}" for state, n in counts.items())
        + (" (the pending ones are logged above with their payloads)" if counts["pending"] else ""),
        flush=True,
    )


# -- validate, vendors, config, magic ------------------------------------------------------------------
def _validate(args: argparse.Namespace) -> int:
    """Config and scenario files; scenarios are also checked against the mounted vendors (their
    operations and error tables). Problems print as ``file:line:col: rule NAME: what``."""
    from mockserver.bundled import check_config as check
    from mockserver.core.yamlfile import YamlSyntaxError, load
    from mockserver.engine.scenarios import check as check_scenario
    from mockserver.engine.scenarios import looks_like_scenario

    vendors = None
    bad = 0
    for path in args.files:
        try:
            located = load(path)
        except YamlSyntaxError as exc:
            print(f"{path}: invalid YAML", file=sys.stderr)
            print(f"  {exc}", file=sys.stderr)
            bad += 1
            continue
        except OSError as exc:
            print(f"{path}: {exc.strerror}", file=sys.stderr)
            bad += 1
            continue
        if looks_like_scenario(located.data):
            kind = "scenario"
            if vendors is None:
                vendors = _mounted_vendors()
            problems, warnings = check_scenario(located, vendors)
        else:
            kind = "config"
            problems, warnings = check(located), []
        if problems:
            bad += 1
            print(f"{path}: invalid {kind}", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
        else:
            print(f"{path}: valid {kind}")
        for warning in warnings:
            print(f"  warning: {warning}", file=sys.stderr)
    return EXIT_INVALID if bad else 0


def _mounted_vendors() -> dict:
    from mockserver.app import SERVICES, create_app

    return create_app(scenarios=[])[SERVICES].vendors


def _magic(args: argparse.Namespace) -> int:
    from mockserver.engine.scenarios import magic_markdown

    vendors = _mounted_vendors()
    unknown = sorted(set(args.vendor or ()) - set(vendors))
    if unknown:
        print(f"mockserver: unknown vendor {', '.join(unknown)} (known: {', '.join(sorted(vendors))})", file=sys.stderr)
        return EXIT_INVALID
    chosen = [vendors[name] for name in args.vendor] if args.vendor else list(vendors.values())
    print(magic_markdown(chosen), end="")
    return 0


def endpoints() -> list[dict[str, Any]]:
    """Every mounted operation: vendor, operation, method, path on the mock, real hosts and path."""
    from mockserver.app import SERVICES, create_app

    app = create_app(scenarios=[])
    rows = []
    for vendor in app[SERVICES].vendors.values():
        for mount in vendor.mounts():
            for op in mount.operations:
                rows.append(
                    {
                        "vendor": vendor.name,
                        "operation": op.name,
                        "method": op.method,
                        "path": f"{mount.prefix}{op.path}",
                        "real_hosts": list(mount.hosts),
                        "real_path": op.path,
                    }
                )
    return rows


def _vendors(args: argparse.Namespace) -> int:
    rows = endpoints()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = [("VENDOR", "OPERATION", "METHOD", "PATH ON THE MOCK", "REAL HOST")]
    table += [(r["vendor"], r["operation"], r["method"], r["path"], ", ".join(r["real_hosts"])) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    return 0


def _config(args: argparse.Namespace) -> int:
    import yaml

    config = _load_config(args.config)
    print(yaml.safe_dump(config.data, allow_unicode=True, sort_keys=False), end="")
    return 0


# -- checksum -----------------------------------------------------------------------------------------
def _field_values(tokens: list[str]) -> dict[str, str]:
    """``--name value`` / ``--name=value`` pairs (field names are the vendor's own, case kept)."""
    values: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token.startswith("--") or token == "--":
            raise ValueError(f"expected --FIELD VALUE, got {token!r}")
        name, eq, value = token[2:].partition("=")
        if not eq:
            if i + 1 >= len(tokens):
                raise ValueError(f"--{name} needs a value")
            value = tokens[i + 1]
            i += 1
        values[name] = value
        i += 1
    return values


def _checksum(args: argparse.Namespace) -> int:
    from mockserver.bundled import signers

    found = signers()

    def fail(message: str) -> int:
        print(f"mockserver checksum: {message}", file=sys.stderr)
        return EXIT_INVALID

    if args.vendor is None:
        return fail(
            f"give a vendor and an operation: mockserver checksum VENDOR OPERATION --FIELD VALUE ...; "
            f"vendors that sign requests: {', '.join(sorted(found))}"
        )
    if args.vendor not in found:
        return fail(f"vendor {args.vendor!r} has no checksum; vendors that sign requests: {', '.join(sorted(found))}")
    signer = found[args.vendor]
    if args.operation not in signer.fields:
        what = "give an operation" if args.operation is None else f"no operation {args.operation!r}"
        return fail(f"{what}; {args.vendor} signs these operations: {', '.join(signer.fields)}")
    fields = list(signer.fields[args.operation])
    usage = " ".join(f"--{name} VALUE" for name in fields) + f" [--{signer.secret} VALUE]"
    try:
        values = _field_values(args.fields)
    except ValueError as exc:
        return fail(f"{exc}; usage: mockserver checksum {args.vendor} {args.operation} {usage}")
    unknown = sorted(set(values) - set(fields) - {signer.secret})
    if unknown:
        return fail(
            f"{args.operation} does not sign {', '.join(unknown)}; "
            f"usage: mockserver checksum {args.vendor} {args.operation} {usage}"
        )
    secret = values.pop(signer.secret, None)
    if secret is None:
        config = _load_config(args.config)
        secret = signer.find_secret(config.vendor(args.vendor), values)
        if secret is None:
            return fail(f"no {signer.secret} for these values in the config; pass --{signer.secret}")
    for name in fields:
        if name not in values:
            print(f"note: --{name} not given: it counts as empty, as on the server", file=sys.stderr)
    print(signer.compute(args.operation, values, secret))
    if args.explain:
        print(f"{signer.formula}\nhashed text: {signer.signed_text(args.operation, values, secret)}", file=sys.stderr)
    return 0


# -- health -------------------------------------------------------------------------------------------
def _health(args: argparse.Namespace) -> int:
    import urllib.error
    import urllib.request

    url = args.url
    if url is None:
        host = os.environ.get("MOCKSERVER_HOST") or "127.0.0.1"
        if host in ("0.0.0.0", "::", ""):  # bound to every interface: ask over loopback
            host = "127.0.0.1"
        port = os.environ.get("MOCKSERVER_PORT") or "8080"
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    if not url.startswith(("http://", "https://")):
        print(f"mockserver health: error: --url {url}: expected http://HOST:PORT", file=sys.stderr)
        return EXIT_INVALID
    target = url.rstrip("/") + "/_mock/health"
    token = args.admin_token or os.environ.get("MOCKSERVER_ADMIN_TOKEN")
    request = urllib.request.Request(target, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as response:
            data = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"unhealthy: {target}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return EXIT_FAILED
    if data.get("status") != "ok":
        print(f"unhealthy: {target}: {data}", file=sys.stderr)
        return EXIT_FAILED
    print(f"healthy: {target} (vendors: {', '.join(data.get('vendors', []))}; messages: {data.get('messages')})")
    return 0


# -- openapi, contract check -----------------------------------------------------------------------
def _openapi(args: argparse.Namespace) -> int:
    import json

    from mockserver.app import SERVICES, create_app
    from mockserver.contracts.openapi import build

    vendors = create_app(scenarios=[])[SERVICES].vendors
    vendor = vendors.get(args.vendor)
    if vendor is None:
        print(f"mockserver: unknown vendor {args.vendor!r} (known: {', '.join(sorted(vendors))})", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(build(vendor, args.base), ensure_ascii=False, indent=2))
    return 0


def _contract(args: argparse.Namespace) -> int:
    import json

    from mockserver.app import SERVICES, create_app
    from mockserver.contracts.drift import TrafficError, check, render

    vendors = create_app(scenarios=[])[SERVICES].vendors
    try:
        report = check(args.file, vendors)
    except OSError as exc:
        print(f"mockserver contract check: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    except TrafficError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if report.exchanges == report.unmatched:
        print(f"mockserver: no exchange in {args.file} matched a vendor operation", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else render(report))
    return 1 if report.drifted else 0


# -- export, import ------------------------------------------------------------------------------------
@contextlib.contextmanager
def _world(args: argparse.Namespace, namespace: str | None) -> Iterator[tuple[Any, Path]]:
    """(the held data dir, the world's path) of an export or import, the dir held for the
    ``with`` block; exit 2 when the dir is missing, DataDirError when a running server holds it."""
    from mockserver.core.datadir import DEFAULT_WORLD, DataDir

    data_dir = args.data_dir or os.environ.get("MOCKSERVER_DATA_DIR")
    if not data_dir:
        print(f"mockserver {args.command}: error: --data-dir (or MOCKSERVER_DATA_DIR) is required", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)
    if args.command == "export" and not Path(data_dir).is_dir():
        print(f"mockserver: data dir {data_dir}: no such directory", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)
    held = DataDir.acquire(data_dir)
    try:
        yield held, held.world(namespace or DEFAULT_WORLD)
    finally:
        held.close()


def _export(args: argparse.Namespace) -> int:
    from mockserver.core.datadir import DataDirError
    from mockserver.engine.persistence import export_lines

    try:
        with _world(args, args.namespace) as (held, path):
            if not path.is_file():
                saved = ", ".join(held.worlds()) or "none"
                print(f"mockserver: {path}: no such world (saved: {saved})", file=sys.stderr)
                return EXIT_INVALID
            lines = export_lines(path, args.namespace or path.stem)
            if args.file == "-":
                for line in lines:
                    sys.stdout.write(line + "\n")
            else:
                with open(args.file, "w", encoding="utf-8") as out:
                    for line in lines:
                        out.write(line + "\n")
    except DataDirError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"mockserver: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _import(args: argparse.Namespace) -> int:
    from mockserver.core.datadir import DataDirError
    from mockserver.engine.persistence import ImportRefused, check_lines, import_lines

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"mockserver: {args.file}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return EXIT_INVALID
    lines = text.splitlines()
    try:
        header, _ = check_lines(lines)  # before the dir is touched: a bad file creates nothing
        with _world(args, args.namespace or header.get("namespace")) as (_, path):
            import_lines(path, lines)
    except ImportRefused as exc:
        print(f"mockserver: {args.file}: {exc}; nothing was imported", file=sys.stderr)
        return EXIT_INVALID
    except DataDirError as exc:
        print(f"mockserver: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(f"imported {args.file} into {path}")
    return 0
