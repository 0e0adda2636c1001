"""Where the shipped scenario files are: ``scenarios/`` of a checkout, or the installed copy."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def scenario_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("MOCKSERVER_SCENARIOS_DIR"):
        dirs.append(Path(os.environ["MOCKSERVER_SCENARIOS_DIR"]))
    dirs.append(Path(__file__).resolve().parents[2] / "scenarios")  # a checkout / editable install
    dirs.append(Path(sys.prefix) / "share" / "sms-mockserver" / "scenarios")  # pip install .
    return [d for d in dirs if d.is_dir()]


def find_scenario(name: str) -> Path | None:
    """The file of a shipped scenario by name (``default``) or file name (``default.yaml``)."""
    filename = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
    for directory in scenario_dirs():
        candidate = directory / filename
        if candidate.is_file():
            return candidate
    return None


def list_scenarios() -> list[Path]:
    seen: dict[str, Path] = {}
    for directory in scenario_dirs():
        for path in sorted(directory.glob("*.yaml")):
            seen.setdefault(path.name, path)
    return list(seen.values())
