"""SMS part counting: GSM-7 160/153, UCS-2 70/67, extension characters cost two."""

import pytest

from mockserver.core.textparts import count_parts


@pytest.mark.parametrize(
    "text,encoding,parts",
    [
        ("", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("{" * 80, "GSM-7", 1),
        ("{" * 81, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),
        ("ก" * 70, "UCS-2", 1),
        ("ก" * 71, "UCS-2", 2),
        ("a" * 69 + "ก", "UCS-2", 1),
        ("😀" * 35, "UCS-2", 1),
        ("😀" * 36, "UCS-2", 2),
        ("Xin chào Việt Nam", "UCS-2", 1),
        ("`", "UCS-2", 1),
    ],
)
def test_parts(text, encoding, parts):
    info = count_parts(text)
    assert (info.encoding, info.parts) == (encoding, parts)
