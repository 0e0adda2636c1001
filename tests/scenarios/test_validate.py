"""``mockserver validate`` and loading: errors name file, line, column and rule; a bad scenario
never half-loads."""

from __future__ import annotations

import textwrap

import pytest

from mockserver.cli import main
from mockserver.core.scenario_files import list_scenarios
from mockserver.engine.scenarios import ScenarioError

from .conftest import VENDORS, send, services, shows_row, vendor_of

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


def _problems_of(tmp_path, capsys, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # A misspelled vendor, operation or error name is an error, with the close name.
        (
            "match: {vendor: smartsmbulk}\n    respond: {error: INVALID_CHECKSUM}",
            ":2:21: rule #1: rules[0].match.vendor: unknown vendor 'smartsmbulk' (did you mean 'smartsmsbulk'?)",
        ),
        (
            "match: {vendor: smartsmsbulk, operation: send_smss}\n    respond: {error: '@internal'}",
            "unknown operation 'send_smss' (did you mean 'send_sms'?)",
        ),
        (
            "match: {operation: sendsms}\n    respond: {error: '@internal'}",
            "unknown operation 'sendsms' (did you mean 'send_sms'?)",
        ),
        (
            "match: {vendor: smartsmsbulk}\n    respond: {error: invalid_checksum}",
            "error 'invalid_checksum' is in no error table of smartsmsbulk (did you mean 'INVALID_CHECKSUM'?)",
        ),
        (
            "match: {vendor: smartsmsbulk}\n    respond: {error: Invalid checksm}",
            "(did you mean 'INVALID_CHECKSUM', 'Invalid checksum'?)",
        ),
        ("respond: {error: '@internl'}", "unknown error kind '@internl' (did you mean '@internal'?)"),
        # Durations say what a duration is, not the regular expression that checks one.
        ("delay: 5 sec", "'5 sec' is not a duration: give seconds (90, 0.25) or a string such as \"250ms\""),
        ("delay: {uniform: {min: 1x, max: 2s}}", "rules[0].delay.uniform.min: '1x' is not a duration"),
    ],
)
def test_names_no_vendor_knows_are_errors_with_the_closest_name(tmp_path, capsys, rule, expected):
    err = _problems_of(tmp_path, capsys, f"rules:\n  - {rule}\n")
    assert expected in err, err
    assert "\\s*" not in err  # no raw regular expression


def test_serve_refuses_a_misspelled_vendor(tmp_path, capsys):
    path = tmp_path / "typo.yaml"
    path.write_text("rules:\n  - match: {vendor: smartsmbulk}\n    respond: {error: '@internal'}\n")
    assert main(["serve", "--port", "0", "--scenario", str(path)]) == 2
    assert "did you mean 'smartsmsbulk'?" in capsys.readouterr().err


async def test_an_error_named_by_the_vendors_text_answers_as_that_row(scenario_client, tmp_path):
    """``error: Invalid checksum`` (copied from an answer) is the INVALID_CHECKSUM row."""
    path = tmp_path / "text.yaml"
    path.write_text("rules:\n  - match: {vendor: smartsmsbulk}\n    respond: {error: invalid checksum.}\n")
    assert main(["validate", str(path)]) == 0
    client = await scenario_client(None, files=(str(path),))
    vendor = vendor_of(client, "smartsmsbulk")
    status, body, _ = await send(client, vendor)
    assert shows_row(status, body, vendor.errors["INVALID_CHECKSUM"])
    assert services(client).store.requests[-1].outcome == "INVALID_CHECKSUM"


def test_a_text_several_rows_share_asks_for_the_name(capsys):
    """Where one text names several rows, the problem lists them (no silent pick)."""
    from mockserver.engine.scenarios.validation import _error_problem

    for vendor in _vendors().values():
        texts: dict[str, list[str]] = {}
        for row in vendor.errors:
            texts.setdefault(" ".join(row.message.split()).rstrip(".").casefold(), []).append(row.name)
        shared = next((names for names in texts.values() if len(names) > 1), None)
        if shared is None:
            continue
        text = vendor.errors[shared[0]].message
        problem = _error_problem(text, [vendor])
        assert problem is not None and all(name in problem for name in shared), problem
        return
    pytest.skip("no vendor has two rows with one text")


def _vendors():
    from mockserver.app import SERVICES, create_app

    return create_app(scenarios=[])[SERVICES].vendors


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
