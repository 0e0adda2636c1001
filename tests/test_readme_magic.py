"""The README's magic recipient table is exactly what `mockserver magic` prints today."""

from __future__ import annotations

import re
from pathlib import Path

from mockserver.app import SERVICES, create_app
from mockserver.engine.scenarios import magic_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_magic_table_matches_the_generated_one():
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- magic-table:start[^>]*-->\n(.*?)<!-- magic-table:end -->", text, re.S)
    assert found, "README.md has no magic-table markers"
    vendors = create_app(scenarios=[])[SERVICES].vendors
    expected = magic_markdown(list(vendors.values()))
    assert found.group(1).strip() == expected.strip(), "regenerate the table with `mockserver magic`"
