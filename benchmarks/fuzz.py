"""Fuzz every vendor mount with schemathesis and count the server errors nobody planned.

Starts a real ``mockserver serve --port 0 --quiet --seed 7`` on 127.0.0.1 (loopback only), then
runs ``schemathesis run {base}/_mock/openapi/{vendor}.json --url {base}{prefix}`` once per vendor
mount, as tests/contracts/test_openapi.py does, with more examples per operation. Every request and
answer is read back from schemathesis's HAR report, so a 5xx is counted whichever check saw it.

A 5xx is *planned* when the vendor's own OpenAPI document lists that status for the operation (a
vendor whose error table has a 500 or 503 row); any other 5xx is *unplanned* and is a bug in the
mock. Each unplanned one is printed with its operation and request.

    python benchmarks/fuzz.py                 # 50 examples per operation, about 3 minutes on 2 cores
    python benchmarks/fuzz.py -n 100 --json   # machine-readable

Exit code 1 when any mount has an unplanned 5xx or schemathesis fails for another reason.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mockserver.app import SERVICES, create_app  # noqa: E402
from mockserver.contracts.openapi import fuzz_args  # noqa: E402

# Demo credentials for the vendors whose every operation needs HTTP Basic (as in the contract test).
AUTH = {
    "thaibulksms": "c30eeef23eab29631ac350b6bd6ef6f9:aeb2a61fe2d4f97ff069ea7e030cb193",
    "ants": "demo:demo-ants-pass",
}
SUMMARY = re.compile(r"(\d+) generated")
COUNTS = re.compile(r"(\d+) (passed|failed|skipped|errored|found \d+ unique failures?)")


@dataclass
class Unplanned:
    """One 5xx that the vendor's document does not list for the operation."""

    operation: str
    status: int
    method: str
    url: str
    body: str


@dataclass
class MountResult:
    vendor: str
    mount: str
    operations: int
    generated: int = 0
    requests: int = 0
    server_errors: int = 0  # every 5xx seen
    unplanned: list[Unplanned] = field(default_factory=list)
    exit_code: int = 0
    summary: str = ""
    seconds: float = 0.0


def documented_statuses(document: dict) -> dict[tuple[str, str], set[int]]:
    """(METHOD, path) -> the HTTP statuses the vendor's document lists for it."""
    table: dict[tuple[str, str], set[int]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            codes = {int(code) for code in operation.get("responses", {}) if code.isdigit()}
            table[(method.upper(), path)] = codes
    return table


def _operation_for(path: str, prefix: str, documented: dict[tuple[str, str], set[int]], method: str):
    """The documented (METHOD, path) a request hit: its URL path less the mount prefix, templates matched."""
    relative = path[len(prefix) :] if path.startswith(prefix) else path
    for key in documented:
        if key[0] != method:
            continue
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(key[1])) + "$"
        if re.match(pattern, relative):
            return key
    return None


def read_har(har: Path, prefix: str, documented: dict[tuple[str, str], set[int]], result: MountResult) -> None:
    """Count requests, 5xx answers and the unplanned ones from a HAR report."""
    if not har.exists():
        return
    for entry in json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]:
        request, response = entry["request"], entry["response"]
        result.requests += 1
        status = int(response["status"])
        if status < 500:
            continue
        result.server_errors += 1
        method = request["method"].upper()
        key = _operation_for(urlsplit(request["url"]).path, prefix, documented, method)
        if key is not None and status in documented[key]:
            continue
        body = (request.get("postData") or {}).get("text", "")
        result.unplanned.append(
            Unplanned(
                operation=f"{method} {key[1] if key else '?'}",
                status=status,
                method=method,
                url=request["url"],
                body=body[:500],
            )
        )


async def fuzz_mount(
    st: str, base: str, name: str, mount, examples: int, seed: int, timeout: float, workdir: Path
) -> MountResult:
    result = MountResult(vendor=name, mount=mount.prefix, operations=len(mount.operations))
    async with aiohttp.ClientSession() as session, session.get(f"{base}/_mock/openapi/{name}.json") as r:
        documented = documented_statuses(await r.json())
    har = workdir / f"{name}{mount.prefix.replace('/', '_')}.har"
    args = [
        *fuzz_args(st, base, name, mount, examples=examples, seed=seed, checks="not_a_server_error"),
        "--continue-on-failure",
        "--request-timeout",
        "10",
        "--report",
        "har",
        "--report-har-path",
        str(har),
    ]
    if name in AUTH:
        args += ["--auth", AUTH[name]]
    started = time.monotonic()
    run = await asyncio.create_subprocess_exec(
        *args, cwd=workdir, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(run.communicate(), timeout)
    except TimeoutError:
        run.kill()
        await run.wait()
        result.exit_code = -1
        result.summary = f"timed out after {timeout:.0f} s"
        return result
    result.seconds = time.monotonic() - started
    text = out.decode("utf-8", "replace")
    result.exit_code = run.returncode
    line = next((ln.strip() for ln in text.splitlines() if SUMMARY.search(ln)), "")
    result.summary = line or text[-1500:]
    if found := SUMMARY.search(line):
        result.generated = int(found[1])
    read_har(har, mount.prefix, documented, result)
    return result


async def start_mock() -> tuple[asyncio.subprocess.Process, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--quiet",
        "--seed",
        "7",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
    found = re.search(r"http://\S+", line)
    if not found:
        proc.kill()
        raise SystemExit(f"the mock did not print its URL: {line!r}")
    return proc, found[0].rstrip("/")


def machine() -> dict[str, str]:
    """What the figures came from: cores, CPU model, Python."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")), ""
        )
    return {"nproc": str(os.cpu_count()), "cpu": model or platform.processor(), "python": platform.python_version()}


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--examples", type=int, default=50, help="examples per operation (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="schemathesis seed (default 1)")
    parser.add_argument("--timeout", type=float, default=240, help="seconds allowed per mount (default 240)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    st = shutil.which("schemathesis") or str(Path(sys.executable).with_name("schemathesis"))
    if not Path(st).exists():
        raise SystemExit("schemathesis is not installed (pip install schemathesis)")
    vendors = create_app(scenarios=[])[SERVICES].vendors
    proc, base = await start_mock()
    results: list[MountResult] = []
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, vendor in vendors.items():
                for mount in vendor.mounts():
                    results.append(
                        await fuzz_mount(st, base, name, mount, args.examples, args.seed, args.timeout, Path(tmp))
                    )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.communicate(), 20)
        except TimeoutError:
            proc.kill()
    elapsed = time.monotonic() - started
    unplanned = sum(len(r.unplanned) for r in results)
    broken = [r for r in results if r.exit_code != 0 and not r.unplanned]
    if args.json:
        report = {
            "examples_per_operation": args.examples,
            "seed": args.seed,
            "seconds": round(elapsed, 1),
            "machine": machine(),
            "mounts": [asdict(r) for r in results],
            "total": {
                "generated": sum(r.generated for r in results),
                "requests": sum(r.requests for r in results),
                "server_errors": sum(r.server_errors for r in results),
                "unplanned_5xx": unplanned,
            },
        }
        print(json.dumps(report, indent=2))
    else:
        print(f"{'vendor':<14} {'mount':<22} {'ops':>4} {'generated':>10} {'requests':>9} {'5xx':>5} {'unplanned':>10}")
        for r in results:
            print(
                f"{r.vendor:<14} {r.mount:<22} {r.operations:>4} {r.generated:>10} {r.requests:>9}"
                f" {r.server_errors:>5} {len(r.unplanned):>10}"
            )
        print(
            f"{'total':<14} {'':<22} {sum(r.operations for r in results):>4} {sum(r.generated for r in results):>10}"
            f" {sum(r.requests for r in results):>9} {sum(r.server_errors for r in results):>5} {unplanned:>10}"
        )
        m = machine()
        print(
            f"\n-n {args.examples}, seed {args.seed}, {elapsed:.0f} s;"
            f" {m['nproc']} cores, {m['cpu']}, Python {m['python']}"
        )
        for r in results:
            for u in r.unplanned:
                print(f"UNPLANNED {u.status} {r.vendor} {u.operation}: {u.method} {u.url} {u.body!r}")
        for r in broken:
            print(f"schemathesis exit {r.exit_code} on {r.vendor} {r.mount}: {r.summary}")
    return 1 if unplanned or broken else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
