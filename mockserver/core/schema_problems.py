"""jsonschema errors as the one line a user can act on, for config and scenario files alike.

jsonschema's own messages are written for schema authors: an unknown key is reported on its
parent object (so a misspelled top-level key would point at line 1, column 1), a ``oneOf`` says
only that nothing matched, and a bad duration shows the regular expression. :func:`describe`
turns an error into ``(path, message)``: the path of the value to point at (the unknown key
itself), and a message that names what is allowed, with a "did you mean" where one is close.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, NamedTuple

from mockserver.core.clock import DURATION_HINT

PathKey = tuple[str | int, ...]


class SchemaProblem(NamedTuple):
    path: PathKey  # the value the message is about
    message: str
    at_key: bool = False  # point at the key itself (an unknown key), not at its value


def closest(word: object, candidates: Iterable[str]) -> str | None:
    """The one of ``candidates`` closest to ``word`` when one is close, compared without case
    (so ``Smartsmsbulk`` finds ``smartsmsbulk`` and ``invalid_checksum`` ``INVALID_CHECKSUM``)."""
    if not isinstance(word, str) or not word:
        return None
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    close = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[close[0]] if close else None


def did_you_mean(word: object, candidates: Iterable[str]) -> str:
    """``" (did you mean 'X'?)"`` when one of ``candidates`` is close to ``word``, else ``""``."""
    found = closest(word, candidates)
    return f" (did you mean {found!r}?)" if found is not None else ""


def _type_mismatch(error: Any) -> bool:
    """An error that only says "this branch wants another type" (not worth showing)."""
    if error.relative_path:
        return False
    if error.validator == "type":
        return True
    if error.validator in ("oneOf", "anyOf") and error.context:
        return all(_type_mismatch(e) for e in error.context if not e.relative_path)
    return False


def _is_duration(schema: Any) -> bool:
    """A duration schema (a number of seconds, or a string such as "1h30m"), or its string branch:
    the scenario schema marks both with ``"x-kind": "duration"``."""
    return isinstance(schema, dict) and schema.get("x-kind") == "duration"


def describe(error: Any) -> SchemaProblem:
    """The path to point at and a readable message for one jsonschema ``ValidationError``."""
    from jsonschema.exceptions import best_match

    if _is_duration(error.schema):
        return SchemaProblem(tuple(error.absolute_path), f"{error.instance!r} is not a duration: {DURATION_HINT}")
    while error.validator in ("oneOf", "anyOf") and error.context:
        relevant = [e for e in error.context if not _type_mismatch(e)]
        if not relevant:
            break
        error = best_match(relevant)
        if _is_duration(error.schema):
            return SchemaProblem(tuple(error.absolute_path), f"{error.instance!r} is not a duration: {DURATION_HINT}")
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known]
        if extra:
            allowed = ", ".join(sorted(known))
            hint = did_you_mean(extra[0], known)
            return SchemaProblem((*path, extra[0]), f"unknown key {extra[0]!r}{hint} (allowed: {allowed})", True)
    if (
        error.validator in ("minProperties", "maxProperties")
        and isinstance(error.instance, dict)
        and "properties" in error.schema
    ):
        names = ", ".join(error.schema["properties"])
        how = "give exactly one of" if error.validator == "maxProperties" else "give one of"
        return SchemaProblem(path, f"{how} {names}")
    if error.validator == "enum" and isinstance(error.schema.get("enum"), list):
        choices = [str(v) for v in error.schema["enum"]]
        hint = did_you_mean(error.instance, choices)
        return SchemaProblem(path, f"{error.instance!r} is not one of {', '.join(choices)}{hint}")
    return SchemaProblem(path, error.message)
