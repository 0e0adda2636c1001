"""``mockserver validate`` and loading: errors name file, line, column and rule; a bad scenario
never half-loads."""

from __future__ import annotations

import textwrap

import pytest

from mockserver.cli import main
from mockserver.core.scenario_files import list_scenarios
from mockserver.engine.scenarios import ScenarioError

from .conftest import VENDORS, services

BAD = """\
name: broken
rules:
  - name: fine
    respond: {error: "@internal"}
  - name: typo in match
    match: {vendor: %(vendor)s, operaton: send_sms}
    respond: {error: "@internal"}
  - name: no such error
    match: {vendor: %(vendor)s}
    respond: {error: NO_SUCH_ERROR_ROW}
  - name: two answers
    respond: {fault: connection_reset, status: 500}
  - name: bad lognormal
    delay: {lognormal: {median: 1s}}
"""


def test_validate_reports_file_line_column_rule_and_problem(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text(BAD % {"vendor": VENDORS[0]})
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6:" in err and "rule typo in match" in err and "unknown key 'operaton'" in err
    assert f"{path}:10:22: rule no such error" in err and "NO_SUCH_ERROR_ROW" in err
    assert f"{path}:12:" in err and "rule two answers" in err and "sends no HTTP answer" in err
    assert f"{path}:14:" in err and "rule bad lognormal" in err and "'sigma' is a required property" in err
    assert "rule fine" not in err


def test_yaml_syntax_error_names_the_line(tmp_path, capsys):
    path = tmp_path / "syntax.yaml"
    path.write_text("rules:\n  - name: x\n    respond: {error: [unclosed\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4:" in err or f"{path}:3:" in err


def test_unknown_vendor_is_only_a_warning(tmp_path, capsys):
    path = tmp_path / "later.yaml"
    path.write_text("rules:\n  - match: {vendor: some_future_vendor}\n    respond: {error: ANYTHING}\n")
    assert main(["validate", str(path)]) == 0
    assert "warning" in capsys.readouterr().err


@pytest.mark.parametrize("path", list_scenarios(), ids=lambda p: p.name)
def test_every_shipped_scenario_is_valid_and_documented(path, capsys):
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    header = path.read_text().splitlines()[0]
    assert header.startswith(f"# {path.name}:")


async def test_a_bad_file_never_half_loads(scenario_client, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("rules:\n  - name: good\n    delay: 1ms\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD % {"vendor": VENDORS[0]})
    client = await scenario_client(None, files=(str(good),))
    engine = services(client).scenarios
    before = engine.describe()
    with pytest.raises(ScenarioError) as caught:
        engine.load_startup([good, bad])
    assert any(p.startswith(f"{bad}:10:22: rule no such error") for p in caught.value.problems)
    assert engine.describe() == before
    # And through create_app: the server does not start at all.
    from mockserver.app import create_app

    with pytest.raises(ScenarioError):
        create_app(scenarios=[good, bad])


def test_serve_refuses_an_invalid_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent(BAD % {"vendor": VENDORS[0]}))
    assert main(["serve", "--port", "0", "--scenario", str(bad)]) == 2
    assert "rule no such error" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ('{"X-Ok": "a\\r\\nSet-Cookie: x=1"}', "X-Ok"),  # a value that would split the answer
        ('{"X-Ok": "line\\nbreak"}', "X-Ok"),
        ('{"X-Ok": "nul\\u0000"}', "X-Ok"),
        ('{"Bad Name": "v"}', "Bad Name"),  # a space is not a token character
        ('{"X-Bad\\r\\n": "v"}', "X-Bad"),
    ],
)
def test_header_names_and_values_that_http_forbids_are_refused(tmp_path, capsys, headers, problem):
    path = tmp_path / "headers.yaml"
    path.write_text(f"rules:\n  - name: injected\n    respond: {{status: 200, headers: {headers}}}\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and problem in err


def test_a_tab_in_a_header_value_is_allowed(tmp_path, capsys):
    path = tmp_path / "tab.yaml"
    path.write_text('rules:\n  - respond: {status: 200, headers: {"X-Ok": "a\\tb"}}\n', encoding="utf-8")
    assert main(["validate", str(path)]) == 0
