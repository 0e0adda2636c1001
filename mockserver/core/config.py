"""The YAML config: server settings and, per vendor, the accounts the mock accepts.

The bundled defaults are ``default_config.yaml`` plus each vendor's ``defaults.yaml`` (its demo
accounts). A ``--config`` file is merged over them: top-level settings key by key, and each
vendor section it names *replaces* that vendor's bundled section, so a file that only declares
SmartSMSBulk accounts keeps every other vendor's demo accounts working.

Everything is validated with jsonschema on load (the core schema, then each vendor's section
against that vendor's schema); problems are reported with the file, line, column and field path.

The core names no vendor: the functions that need the vendors' sections take them (``vendors``,
anything shaped like :class:`VendorSection`, e.g. the classes ``mockserver.vendors.discover()``
returns). :mod:`mockserver.bundled` binds them to the shipped vendors.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from mockserver.core.schema_problems import describe, did_you_mean
from mockserver.core.yamlfile import Located, YamlSyntaxError, format_path
from mockserver.core.yamlfile import load as load_yaml

PACKAGE_DIR = Path(__file__).parent.parent  # mockserver/: the bundled config and core schemas
DEFAULT_CONFIG = PACKAGE_DIR / "default_config.yaml"
CORE_SCHEMA = PACKAGE_DIR / "schemas" / "config.schema.json"


class VendorSection(Protocol):
    """What the config needs of a vendor (class): its section's name, schema and bundled defaults."""

    @property
    def name(self) -> str: ...

    def config_schema(self) -> dict[str, Any]: ...

    def defaults_path(self) -> Path: ...


class ConfigError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Config:
    data: dict[str, Any]
    sources: list[str] = field(default_factory=list)

    def section(self, name: str) -> dict[str, Any]:
        return self.data.get(name) or {}

    def vendor(self, name: str) -> dict[str, Any]:
        return (self.data.get("vendors") or {}).get(name) or {}

    @property
    def journal_size(self) -> int:
        return int(self.section("server").get("journal_size", 100_000))

    @property
    def max_body_bytes(self) -> int:
        return int(self.section("server").get("max_body_bytes", 1024 * 1024))


@cache
def _validator_class() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator


def _problems(located: Located, data: Any, schema: dict[str, Any], base: tuple = ()) -> list[str]:
    validator = _validator_class()(schema)
    out = []
    found = [describe(error) for error in validator.iter_errors(data)]
    for problem in sorted(found, key=lambda p: located.position(base + p.path, key=p.at_key)):
        path = base + problem.path
        out.append(f"{located.where(path, key=problem.at_key)}: {format_path(path)}: {problem.message}")
    return out


def _read(path: Path) -> Located:
    try:
        return load_yaml(path)
    except YamlSyntaxError as exc:
        raise ConfigError([str(exc)]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: {exc.strerror or exc}"]) from None


def vendor_defaults(vendors: Iterable[VendorSection]) -> dict[str, Located]:
    """Each vendor's bundled section (its demo accounts), by vendor name."""
    found = {}
    for vendor in vendors:
        path = vendor.defaults_path()
        if path.exists():
            found[vendor.name] = _read(path)
    return found


def check(located: Located, vendors: Iterable[VendorSection]) -> list[str]:
    """Problems of one config document (as given by a user), without merging defaults."""
    data = located.data if located.data is not None else {}
    problems = _problems(located, data, json.loads(CORE_SCHEMA.read_text(encoding="utf-8")))
    if not isinstance(data, dict) or not isinstance(data.get("vendors") or {}, dict):
        return problems
    known = {v.name: v for v in vendors}
    for name, section in (data.get("vendors") or {}).items():
        if name not in known:
            where = located.where(("vendors", name), key=True)
            hint = did_you_mean(name, known)
            problems.append(f"{where}: vendors.{name}: unknown vendor{hint} (known: {', '.join(sorted(known))})")
            continue
        problems.extend(_problems(located, section, known[name].config_schema(), ("vendors", name)))
    return problems


def load_config(path: str | Path | None = None, *, vendors: Iterable[VendorSection]) -> Config:
    """The effective config: bundled defaults, with the file at ``path`` merged over them."""
    return build_config(_read(Path(path)) if path is not None else None, vendors=vendors)


def config_from_dict(data: dict[str, Any], *, vendors: Iterable[VendorSection]) -> Config:
    """A config from a dict (tests, the embedding API), merged over the defaults like a file."""
    return build_config(Located(data, {}, "<dict>"), vendors=vendors)


def build_config(user: Located | None, *, vendors: Iterable[VendorSection]) -> Config:
    """The bundled defaults (``default_config.yaml`` and each vendor's section), with ``user``
    merged over them once it is checked."""
    vendors = list(vendors)  # read more than once
    base = _read(DEFAULT_CONFIG)
    data: dict[str, Any] = copy.deepcopy(base.data) or {}
    data["vendors"] = {name: copy.deepcopy(loc.data) for name, loc in vendor_defaults(vendors).items()}
    sources = [str(DEFAULT_CONFIG)]
    if user is None:
        problems = check(Located(data, {}, "<bundled defaults>"), vendors)
        if problems:  # a broken bundled file is our bug, but say so plainly
            raise ConfigError(problems)
        return Config(data, sources)
    problems = check(user, vendors)
    if problems:
        raise ConfigError(problems)
    sources.append(user.source)
    for key, value in (user.data or {}).items():
        if key == "vendors":
            for name, section in (value or {}).items():
                data["vendors"][name] = section
        elif isinstance(value, dict):
            data.setdefault(key, {}).update(value)
        else:
            data[key] = value
    return Config(data, sources)
