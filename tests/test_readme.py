"""Every command in README.md runs here, so the README cannot rot.

Each fenced ``sh``/``bash``/``console``/``python`` block must be preceded by a marker line, and a
``yaml`` block may be:

=====================================  =======================================================
``<!-- tested -->``                    run it (bash, or python) against the README's server
``<!-- tested: serve -->``             a ``mockserver serve ...`` line: (re)start that server
``<!-- tested: pytest -->``            a python block that is a test file: pytest must pass it
``<!-- tested: file NAME -->``         save the block as NAME in the working directory
``<!-- tested: scenario -->``          a yaml block: ``mockserver validate`` must accept it
``<!-- tested: config -->``            the same, for a config file
``<!-- tested: yaml -->``              a yaml block that must parse (compose, CI files)
``<!-- untested: REASON -->``          not run, and the reason says why (needs Docker, ...)
=====================================  =======================================================

Blocks run in README order in one temporary working directory, against one server started
with ``mockserver serve`` on a free port (a ``tested: serve`` block restarts it with its own
options). ``127.0.0.1:8080`` in a block means that server; any other ``127.0.0.1:PORT`` is mapped
to a free port, the same one in every block. A comment line ``# => TEXT`` states output that the
block must print (``…`` stands for anything: ids, times). ``mockserver``, ``python`` and
``python3`` are this checkout's.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RUNNABLE = {"sh", "bash", "shell", "console", "python", "py"}
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
MARKER = re.compile(r"<!--\s*(tested|untested)(?::\s*(.*?))?\s*-->\s*$")
LOCAL = re.compile(r"\b(127\.0\.0\.1|localhost):(\d{2,5})\b")
EXPECT = re.compile(r"^\s*# => (.+?)\s*$", re.M)
BLOCK_TIMEOUT = 60


@dataclass
class Block:
    line: int  # of the opening fence
    lang: str
    text: str
    marker: str | None  # "tested" / "untested" / None
    option: str  # what follows the colon

    @property
    def id(self) -> str:
        return f"README.md:{self.line}-{self.lang or 'text'}" + (f"-{self.option.split()[0]}" if self.option else "")


def blocks(text: str | None = None) -> list[Block]:
    text = README.read_text(encoding="utf-8") if text is None else text
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = [ln for ln in text[: match.start()].splitlines() if ln.strip()]
        marker = MARKER.search(before[-1]) if before else None
        found.append(
            Block(
                line,
                match.group(1).lower(),
                match.group(2),
                marker.group(1) if marker else None,
                (marker.group(2) or "").strip() if marker else "",
            )
        )
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ReadmeRun:
    """One pass over the README: a working directory, a server, the port map, the processes."""

    workdir: Path
    bindir: Path
    ports: dict[str, str] = field(default_factory=dict)
    server: subprocess.Popen | None = None
    groups: list[int] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
        env["PATH"] = f"{self.bindir}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def rewrite(self, text: str) -> str:
        def port(match: re.Match[str]) -> str:
            wanted = match.group(2)
            if wanted not in self.ports:
                self.ports[wanted] = str(free_port())
            return f"{match.group(1)}:{self.ports[wanted]}"

        return LOCAL.sub(port, text)

    # -- the server -------------------------------------------------------------------------
    def serve(self, argv: list[str]) -> None:
        self.stop_server()
        assert argv[:2] == ["mockserver", "serve"], f"a `tested: serve` block runs `mockserver serve`, not {argv}"
        args = argv[2:]
        for flag in ("--port", "--host"):  # ours: a free port on loopback
            while flag in args:
                i = args.index(flag)
                del args[i : i + 2]
        cmd = [sys.executable, "-m", "mockserver", "serve", *args, "--host", "127.0.0.1", "--port", "0"]
        log = open(self.workdir / ".server.log", "w")  # noqa: SIM115 - closed with the process
        self.server = subprocess.Popen(
            cmd, cwd=self.workdir, env=self.env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        assert self.server.stdout is not None
        for line in self.server.stdout:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.ports["8080"] = found.group(1)
                break
        else:
            self.server.wait(10)
            raise AssertionError(f"`{shlex.join(argv)}` did not start: {(self.workdir / '.server.log').read_text()}")

    def stop_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)
            try:
                self.server.wait(15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    def close(self) -> None:
        self.stop_server()
        for group in self.groups:  # what blocks left running in the background
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)

    # -- running one block --------------------------------------------------------------------
    def run(self, argv: list[str], block: Block) -> str:
        out_path = self.workdir / ".block.out"
        with open(out_path, "w") as out:  # a file, not a pipe: background jobs must not hold us up
            proc = subprocess.Popen(
                argv, cwd=self.workdir, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
            self.groups.append(proc.pid)
            try:
                code = proc.wait(BLOCK_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise AssertionError(f"{block.id} did not finish in {BLOCK_TIMEOUT}s") from None
        output = out_path.read_text(encoding="utf-8", errors="replace")
        assert code == 0, f"{block.id} exited {code}:\n{output}"
        return output


def check_expectations(block: Block, text: str, output: str) -> None:
    for expected in EXPECT.findall(text):
        pattern = ".*?".join(re.escape(part) for part in expected.split("…"))
        assert re.search(pattern, output), f"{block.id}: expected output {expected!r} not in:\n{output}"


TESTED = [b for b in blocks() if b.marker == "tested"]


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadmeRun]:
    workdir = tmp_path_factory.mktemp("readme")
    bindir = workdir / ".bin"
    bindir.mkdir()
    wrapper = bindir / "mockserver"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mockserver "$@"\n')
    wrapper.chmod(0o755)
    for name in ("python", "python3"):
        (bindir / name).symlink_to(sys.executable)
    run = ReadmeRun(workdir, bindir)
    run.serve(["mockserver", "serve"])
    yield run
    run.close()


def test_every_runnable_block_is_marked() -> None:
    unmarked = [b.id for b in blocks() if b.lang in RUNNABLE and b.marker is None]
    assert not unmarked, f"mark these blocks <!-- tested --> (or <!-- untested: why -->): {unmarked}"
    unexplained = [b.id for b in blocks() if b.marker == "untested" and not b.option]
    assert not unexplained, f"say why these blocks are not tested: {unexplained}"
    assert TESTED, "no tested block in the README"


@pytest.mark.parametrize("block", TESTED, ids=[b.id for b in TESTED])
def test_readme_block(block: Block, readme_run: ReadmeRun) -> None:
    kind, _, arg = block.option.partition(" ")
    text = readme_run.rewrite(block.text)
    if kind == "serve":
        (command,) = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        readme_run.serve(shlex.split(command, comments=True))
    elif kind == "file":
        assert arg, f"{block.id}: `tested: file NAME`"
        (readme_run.workdir / arg).write_text(text, encoding="utf-8")
    elif kind in ("scenario", "config"):
        path = readme_run.workdir / f".block-{block.line}.yaml"
        path.write_text(block.text, encoding="utf-8")
        output = readme_run.run([sys.executable, "-m", "mockserver", "validate", str(path)], block)
        assert f"valid {kind}" in output, output
    elif kind == "yaml":
        assert list(yaml.safe_load_all(block.text)), f"{block.id}: empty YAML"
    elif kind == "pytest":
        assert block.lang in ("python", "py")
        path = readme_run.workdir / f"test_readme_{block.line}.py"
        path.write_text(text, encoding="utf-8")
        # `-p` stands in for the pytest11 entry point that `pip install` registers
        output = readme_run.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "mockserver.pytest_plugin",
                "-p",
                "no:cacheprovider",
                path.name,
            ],
            block,
        )
        assert re.search(r"\d+ passed", output) and "failed" not in output, output
    elif kind == "":
        if block.lang in ("python", "py"):
            argv = [sys.executable, "-c", text]
        else:
            assert block.lang in RUNNABLE, f"{block.id}: cannot run a {block.lang!r} block"
            argv = ["bash", "-e", "-o", "pipefail", "-c", text]
        output = readme_run.run(argv, block)
        check_expectations(block, text, output)
    else:
        pytest.fail(f"{block.id}: unknown marker option {block.option!r}")


def test_the_harness_catches_a_wrong_expectation(readme_run: ReadmeRun) -> None:
    """A README that lies must fail: a wrong ``# =>`` and a failing command both do."""
    (block,) = blocks('<!-- tested -->\n```sh\ncurl -s http://127.0.0.1:8080/_mock/health\n# => "status":"down"\n```\n')
    text = readme_run.rewrite(block.text)
    output = readme_run.run(["bash", "-e", "-c", text], block)
    check_expectations(Block(block.line, block.lang, '# => "status":"ok"', "tested", ""), '# => "status":"ok"', output)
    with pytest.raises(AssertionError, match="expected output"):
        check_expectations(block, text, output)
    with pytest.raises(AssertionError, match="exited 1"):
        readme_run.run(["bash", "-e", "-c", "false"], block)


def test_every_vendor_has_a_row_in_the_vendors_table() -> None:
    """The README's Vendors table is written by hand (credentials, hosts): a new vendor package
    fails here until it has its row, with its base URL on the mock."""
    from mockserver.vendors import discover

    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Vendors") :].split("\n\n| vendor |", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    missing = [v.name for v in discover() if not any(f"`http://127.0.0.1:8080/{v.name}" in row for row in rows)]
    assert not missing, f"add a row to the README's Vendors table for {missing}"
