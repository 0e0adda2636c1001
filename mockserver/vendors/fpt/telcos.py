"""Vietnamese mobile prefixes -> the ``Telco`` value FPT answers (vendor notes), as data.

Keys are the three-digit national prefixes (``0`` + the first two digits of the nine-digit
subscriber number); ``84xxx`` numbers are looked up by their national form.
"""

from __future__ import annotations

from types import MappingProxyType

_BY_TELCO: dict[str, tuple[str, ...]] = {
    "viettel": ("032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098"),
    "vina": ("081", "082", "083", "084", "085", "088", "091", "094"),
    "mobi": ("070", "076", "077", "078", "079", "089", "090", "093"),
    "vietnamobile": ("052", "056", "058", "092"),
    "gmobile": ("059", "099"),
    "itel": ("087",),
    "reddi": ("055",),
}

TELCO_BY_PREFIX: MappingProxyType[str, str] = MappingProxyType(
    {prefix: telco for telco, prefixes in _BY_TELCO.items() for prefix in prefixes}
)

# What push-brandname-international answers in ``Telco`` (our decision: the seed names none).
INTERNATIONAL_TELCO = "international"


def telco_of(national: str) -> str | None:
    """The telco of a national number ``0XXXXXXXXX``, or None when its prefix is not mobile."""
    return TELCO_BY_PREFIX.get(national[:3])
