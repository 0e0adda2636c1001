"""Seeded randomness: every id, code, probability and jitter the server draws comes from here.

With ``--seed N`` two runs that receive the same requests produce the same ids, OTP codes,
scenario hits and timings. Faker is slow to import, so it is created on first use only.
"""

from __future__ import annotations

import os
import random
import string
import uuid
from typing import Any


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

    # The generator itself, for code that needs its full API.
    @property
    def random(self) -> random.Random:
        return self._random

    def uuid4(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def digits(self, n: int) -> str:
        return "".join(self._random.choices(string.digits, k=n))

    def letters(self, n: int, alphabet: str = string.ascii_letters) -> str:
        return "".join(self._random.choices(alphabet, k=n))

    def token(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self._random.choices(alphabet, k=n))

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
