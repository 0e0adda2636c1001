"""The emulated vendors, one package each.

Every sub-package exposes ``VENDOR``: a :class:`mockserver.http.vendor.Vendor` subclass. Adding a
vendor means adding a package; nothing in the core names a vendor.
"""

from __future__ import annotations

import importlib
import pkgutil

from mockserver.http.vendor import Vendor


def discover() -> list[type[Vendor]]:
    """Every vendor class shipped in this package, in name order."""
    found: list[type[Vendor]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        vendor = getattr(module, "VENDOR", None)
        if vendor is not None:
            found.append(vendor)
    return found
