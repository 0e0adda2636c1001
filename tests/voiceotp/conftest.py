"""Voice OTP fixtures: a scenario-file writer (helpers live in ``helpers.py``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def scenario_file(tmp_path: Path) -> Callable[[list[dict[str, Any]]], Path]:
    """``scenario_file(rules)``: a real scenario YAML file in tmp_path."""

    def write(rules: list[dict[str, Any]]) -> Path:
        path = tmp_path / "voiceotp-scenario.yaml"
        path.write_text(yaml.safe_dump({"name": "voiceotp-test", "rules": rules}, allow_unicode=True), encoding="utf-8")
        return path

    return write
