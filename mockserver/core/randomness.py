"""Seeded randomness: every id, code, probability and jitter the server draws comes from here.

With ``--seed N`` two runs that receive the same requests produce the same ids, OTP codes,
scenario hits and timings. Faker is slow to import, so it is created on first use only.
"""

from __future__ import annotations

import os
import random
import string
from typing import Any

# RFC 4122 version 4 / variant 1 bits, exactly as uuid.UUID(int=..., version=4) sets them.
_CLEAR_VERSION_VARIANT = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_VERSION_4_VARIANT = (4 << 76) | (0x8000 << 48)


_TABLES: dict[str, tuple[bytes, bytes]] = {}


def _tables(alphabet: str) -> tuple[bytes, bytes]:
    """(translate table, bytes to drop) of an ASCII ``alphabet`` of at most 256 characters,
    built once per alphabet."""
    found = _TABLES.get(alphabet)
    if found is None:
        size = len(alphabet)
        if not 0 < size <= 256 or not alphabet.isascii():
            raise ValueError(f"an alphabet of 1 to 256 ASCII characters, not {alphabet!r}")
        whole = 256 - 256 % size  # bytes from here on would favour the first characters
        codes = alphabet.encode("ascii")
        table = bytes(codes[b % size] for b in range(256))
        found = _TABLES[alphabet] = (table, bytes(range(whole, 256)))
    return found


class Randomness:
    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed if seed is not None else int.from_bytes(os.urandom(8), "big")
        self._random = random.Random(self.seed)
        self._faker: Any = None

    def reset(self) -> None:
        """Start the sequence again, as at start-up (``POST /_mock/reset``)."""
        self._random.seed(self.seed)
        if self._faker is not None:
            self._faker.seed_instance(self.seed)

    def getstate(self) -> Any:
        """Where the sequence is (a saved world restores it: ids drawn after a restart are new)."""
        return self._random.getstate()

    def setstate(self, state: Any) -> None:
        self._random.setstate(state)

    # The generator itself, for code that needs its full API.
    @property
    def random(self) -> random.Random:
        return self._random

    def uuid4(self) -> str:
        """``str(uuid.UUID(int=bits, version=4))`` without building the UUID object (hot path)."""
        bits = self._random.getrandbits(128)
        bits = (bits & _CLEAR_VERSION_VARIANT) | _VERSION_4_VARIANT
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def digits(self, n: int) -> str:
        return self.token(n, string.digits)

    def letters(self, n: int, alphabet: str = string.ascii_letters) -> str:
        return self.token(n, alphabet)

    def token(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        """``n`` characters drawn uniformly from ``alphabet`` (ids on every send's path): seeded
        random bytes mapped to characters by ``bytes.translate``, no Python loop per character.
        A byte maps to ``alphabet[byte % len]`` and the bytes past the last whole multiple of
        the length are dropped, so every character is equally likely."""
        table, drop = _tables(alphabet)
        out = b""
        while len(out) < n:
            out += self._random.randbytes(n - len(out) + 8).translate(table, drop)
        return out[:n].decode("ascii")

    def chance(self, probability: float) -> bool:
        return self._random.random() < probability

    def uniform(self, low: float, high: float) -> float:
        return self._random.uniform(low, high)

    @property
    def faker(self) -> Any:
        """A Faker (th_TH, vi_VN, en_US) seeded like everything else; imported on first use."""
        if self._faker is None:
            from faker import Faker

            self._faker = Faker(["th_TH", "vi_VN", "en_US"])
            self._faker.seed_instance(self.seed)
        return self._faker
