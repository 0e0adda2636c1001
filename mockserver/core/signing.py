"""Request signatures (checksums, HMACs) as a plug-in, for ``mockserver checksum``.

People debugging their own client want to compute the signature exactly as the server checks it.
A vendor whose requests are signed exposes ``SIGNER`` (a :class:`Signer`) in its package's
``checksums.py``; the command finds it there, so adding a vendor needs no change to the CLI. The
core names no vendor: :func:`signers` is given the vendor classes (``mockserver.bundled.signers``
passes the shipped ones). The
signer must call the same function the server uses to verify, never a copy of it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Values = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Signer:
    fields: Mapping[str, Sequence[str]]  # operation -> the request fields that are signed, in order
    secret: str  # the name of the secret, as a command-line option: "apiKey"
    compute: Callable[[str, Values, str], str]  # (operation, field values, secret) -> the signature
    signed_text: Callable[[str, Values, str], str]  # the exact text that is hashed, for --explain
    find_secret: Callable[[Mapping[str, Any], Values], str | None]  # the secret in the vendor's config section
    formula: str = ""  # one line for people: "md5(userId + partnerId + ... + apiKey), lowercase hex"


class SigningVendor(Protocol):
    """A vendor (class) as :func:`signers` sees it: its name, and its module (``__module__``)."""

    @property
    def name(self) -> str: ...


def signers(vendors: Iterable[SigningVendor]) -> dict[str, Signer]:
    """``vendor name -> Signer`` for every vendor class of ``vendors`` that signs its requests
    (a ``SIGNER`` in the ``checksums`` module next to the class's package)."""
    found = {}
    for vendor in vendors:
        module_name = f"{vendor.__module__}.checksums"
        if importlib.util.find_spec(module_name) is None:
            continue
        signer = getattr(importlib.import_module(module_name), "SIGNER", None)
        if isinstance(signer, Signer):
            found[vendor.name] = signer
    return found
