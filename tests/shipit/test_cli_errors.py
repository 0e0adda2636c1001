"""Every ``mockserver`` subcommand given bad arguments: one line on stderr naming what is wrong,
exit 2, no traceback. Each case runs the real command in a subprocess, as a user types it."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mockserver import __version__

from .conftest import child_env, mockserver_cmd

# (arguments, environment, text the one line must contain)
CASES: list[tuple[list[str], dict[str, str], str]] = [
    ([], {}, "required: COMMAND"),
    (["nosuch"], {}, "invalid choice: 'nosuch'"),
    (["serve", "--port", "99999"], {}, "port 99999 is out of range 0-65535"),
    (["serve", "--port", "-1"], {}, "port -1 is out of range"),
    (["serve", "--port", "http"], {}, "not a port number: 'http'"),
    (["serve"], {"MOCKSERVER_PORT": "70000"}, "MOCKSERVER_PORT='70000': port 70000 is out of range"),
    (["serve", "--journal-size", "-5"], {}, "--journal-size: must be at least 1, got -5"),
    (["serve", "--journal-size", "0"], {}, "must be at least 1, got 0"),
    (["serve", "--seed", "x"], {}, "--seed: invalid int value: 'x'"),
    (["serve", "--clock", "slow"], {}, "invalid choice: 'slow'"),
    (["serve", "--log-format", "xml"], {}, "invalid choice: 'xml'"),
    (["serve"], {"MOCKSERVER_QUIET": "maybe"}, "MOCKSERVER_QUIET='maybe': expected true or false"),
    (["serve", "--colour"], {}, "unrecognized arguments: --colour"),
    (["serve", "--config", "{missing}"], {}, "invalid config {missing}: no such file"),
    (["serve", "--scenario", "{missing}"], {}, "no scenario file, directory or shipped scenario named"),
    (["validate"], {}, "required: files"),
    (["validate", "{missing}"], {}, "No such file or directory"),
    (["magic", "--vendor", "nosuch"], {}, "unknown vendor nosuch (known: ants, fpt, smartsmsbulk"),
    (["magic", "--vendor"], {}, "--vendor: expected one argument"),
    (["vendors", "--xml"], {}, "unrecognized arguments: --xml"),
    (["checksum"], {}, "give a vendor and an operation"),
    (
        ["checksum", "nosuch", "send_sms"],
        {},
        "vendor 'nosuch' has no checksum; vendors that sign requests: smartsmsbulk",
    ),
    (["checksum", "smartsmsbulk"], {}, "give an operation; smartsmsbulk signs these operations: send_sms"),
    (["checksum", "smartsmsbulk", "nosuch"], {}, "no operation 'nosuch'"),
    (["checksum", "smartsmsbulk", "send_sms", "--userId"], {}, "--userId needs a value; usage:"),
    (["checksum", "smartsmsbulk", "send_sms", "bare"], {}, "expected --FIELD VALUE, got 'bare'"),
    (["checksum", "smartsmsbulk", "send_sms", "--colour", "red"], {}, "send_sms does not sign colour"),
    (["checksum", "smartsmsbulk", "send_sms", "--config", "{missing}"], {}, "invalid config"),
    (["health", "--timeout", "abc"], {}, "not a number of seconds: 'abc'"),
    (["health", "--timeout", "0"], {}, "must be more than 0 seconds"),
    (["health", "--url", "localhost:8080"], {}, "--url localhost:8080: expected http://HOST:PORT"),
    (["config", "--config", "{missing}"], {}, "invalid config {missing}: no such file"),
    (["config", "--yaml"], {}, "unrecognized arguments: --yaml"),
    (["openapi"], {}, "required: vendor"),
    (["openapi", "nosuch"], {}, "unknown vendor 'nosuch'"),
    (["contract"], {}, "required: check"),
    (["contract", "check"], {}, "required: file"),
    (["contract", "check", "{missing}"], {}, "{missing}: No such file or directory"),
    (["contract", "check", "{garbage}"], {}, "not JSON"),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[list[str], subprocess.CompletedProcess, str]]:
    """Every case run once (in parallel: each is a Python start-up)."""
    tmp = tmp_path_factory.mktemp("cli")
    garbage = tmp / "traffic.har"
    garbage.write_text("not traffic at all")
    names = {"missing": str(tmp / "missing.yaml"), "garbage": str(garbage)}

    def run(case: tuple[list[str], dict[str, str], str]):
        args, env, expected = case
        args = [a.format(**names) for a in args]
        done = subprocess.run(
            mockserver_cmd(*args), env=child_env(**env), capture_output=True, text=True, timeout=60, cwd=tmp
        )
        return args, done, expected.format(**names)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(run, CASES))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[" ".join(c[0]) or "(nothing)" for c in CASES])
def test_bad_arguments_are_one_line_and_exit_2(results, index: int) -> None:
    args, done, expected = results[index]
    lines = done.stderr.splitlines()
    assert done.returncode == 2, (args, done.returncode, done.stderr)
    assert len(lines) == 1 and done.stdout == "", (args, done.stdout, done.stderr)
    assert expected in lines[0], (args, lines[0])
    assert "Traceback" not in done.stderr


def test_version(tmp_path: Path) -> None:
    done = subprocess.run(mockserver_cmd("--version"), env=child_env(), capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, f"sms-mockserver {__version__}")
