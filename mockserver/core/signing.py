"""Request signatures (checksums, HMACs) as a plug-in, for ``mockserver checksum``.

People debugging their own client want to compute the signature exactly as the server checks it.
A vendor whose requests are signed exposes ``SIGNER`` (a :class:`Signer`) in its package's
``checksums.py``; the command finds it there, so adding a vendor needs no change to the CLI. The
signer must call the same function the server uses to verify, never a copy of it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Values = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Signer:
    fields: Mapping[str, Sequence[str]]  # operation -> the request fields that are signed, in order
    secret: str  # the name of the secret, as a command-line option: "apiKey"
    compute: Callable[[str, Values, str], str]  # (operation, field values, secret) -> the signature
    signed_text: Callable[[str, Values, str], str]  # the exact text that is hashed, for --explain
    find_secret: Callable[[Mapping[str, Any], Values], str | None]  # the secret in the vendor's config section
    formula: str = ""  # one line for people: "md5(userId + partnerId + ... + apiKey), lowercase hex"


def signers() -> dict[str, Signer]:
    """``vendor name -> Signer`` for every vendor that signs its requests."""
    from mockserver.vendors import discover

    found = {}
    for vendor in discover():
        module_name = f"{vendor.__module__}.checksums"
        if importlib.util.find_spec(module_name) is None:
            continue
        signer = getattr(importlib.import_module(module_name), "SIGNER", None)
        if isinstance(signer, Signer):
            found[vendor.name] = signer
    return found
