"""The core's vendor-neutral config and signing functions, bound to the vendors this package
ships (``mockserver.vendors.discover()``).

The core never names a vendor, so :mod:`mockserver.core.config` and :mod:`mockserver.core.signing`
take the vendors as an argument; the entry points (``create_app``, the CLI), the tests and the
benchmarks call these instead, with the same results as before the core was inverted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mockserver.core import config as _config
from mockserver.core import signing as _signing
from mockserver.core.config import Config
from mockserver.core.yamlfile import Located
from mockserver.vendors import discover


def load_config(path: str | Path | None = None) -> Config:
    """The effective config: the bundled defaults, with the file at ``path`` merged over them."""
    return _config.load_config(path, vendors=discover())


def config_from_dict(data: dict[str, Any]) -> Config:
    """A config from a dict, merged over the bundled defaults like a file."""
    return _config.config_from_dict(data, vendors=discover())


def build_config(user: Located | None) -> Config:
    """The bundled defaults with ``user`` (a checked document, or None) merged over them."""
    return _config.build_config(user, vendors=discover())


def check_config(located: Located) -> list[str]:
    """Problems of one config document, against the core schema and the shipped vendors'."""
    return _config.check(located, discover())


def vendor_defaults() -> dict[str, Located]:
    """Each shipped vendor's bundled config section, by vendor name."""
    return _config.vendor_defaults(discover())


def signers() -> dict[str, _signing.Signer]:
    """``vendor name -> Signer`` for every shipped vendor that signs its requests."""
    return _signing.signers(discover())
