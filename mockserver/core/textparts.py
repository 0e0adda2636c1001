"""How many SMS parts a text takes, as every operator counts them.

A text made only of GSM 03.38 characters is sent as GSM-7: 160 characters in one part, 153 per
part once it is split (the user-data header eats 7). Any other character (Thai, Vietnamese
diacritics, emoji) makes the whole text UCS-2: 70 in one part, 67 per part after that, counted
in UTF-16 code units (an emoji outside the BMP takes two). Characters of the GSM extension
table (``^{}\\[~]|€`` and form feed) cost two septets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# The ASCII characters GSM-7 cannot send (backtick, most control characters), and those of
# its extension table.
_ASCII = frozenset(map(chr, range(128)))
_ASCII_OUTSIDE_GSM7 = re.compile("[" + re.escape("".join(sorted(_ASCII - GSM7_BASIC - GSM7_EXTENSION))) + "]")
_ASCII_EXTENSION = re.compile("[" + re.escape("".join(sorted(_ASCII & GSM7_EXTENSION))) + "]")

# encoding -> (characters in a single part, characters per part of a multipart text)
PART_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True, slots=True)
class TextParts:
    encoding: str  # "GSM-7" or "UCS-2"
    length: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int
    capacity: int  # characters the parts could hold

    @property
    def unused(self) -> int:
        return self.capacity - self.length


def count_parts(text: str) -> TextParts:
    if text.isascii():
        # Fast path (most texts): two regex scans instead of a Python loop over the characters.
        if _ASCII_OUTSIDE_GSM7.search(text) is None:
            encoding = "GSM-7"
            length = len(text) + len(_ASCII_EXTENSION.findall(text))
        else:
            encoding = "UCS-2"
            length = len(text)
    else:
        length = 0
        encoding = "GSM-7"
        for ch in text:
            if ch in GSM7_BASIC:
                length += 1
            elif ch in GSM7_EXTENSION:
                length += 2
            else:
                encoding = "UCS-2"
                break
        if encoding == "UCS-2":
            length = len(text.encode("utf-16-le")) // 2
    single, multi = PART_LIMITS[encoding]
    if length <= single:
        parts = 1
        capacity = single
    else:
        parts = -(-length // multi)
        capacity = parts * multi
    return TextParts(encoding, length, parts, capacity)
