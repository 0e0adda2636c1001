"""``same(a, b)``: the one comparison for credentials, secrets, tokens, OTP codes and checksums.

Why one helper: ``==`` on strings stops at the first differing character, so the time an answer
takes tells an attacker how much of a guess was right. :func:`hmac.compare_digest` takes the same
time whatever the content (it still reveals the length, which is no secret here). Every vendor
and the admin token check go through :func:`same`, so a grep for it finds every such comparison.
"""

from __future__ import annotations

import hmac


def _bytes(value: str | bytes) -> bytes:
    # surrogatepass: a lone surrogate from a JSON body still compares (and never matches) instead of raising
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def same(given: str | bytes | None, expected: str | bytes | None) -> bool:
    """Whether ``given`` equals ``expected``, in constant time for values of equal length.

    ``None`` (a field that was absent) never matches, not even another ``None``: a missing
    secret on both sides is a configuration hole, not a successful login. Anything that is not
    ``str``/``bytes`` (a number or a list from a JSON body) never matches either.
    """
    if type(given) is str and type(expected) is str and given.isascii() and expected.isascii():
        # compare_digest takes ASCII strings as they are: no encoding on the common path
        # (checksums, keys and tokens are ASCII); anything else is compared as UTF-8 bytes.
        return hmac.compare_digest(given, expected)
    if not isinstance(given, str | bytes) or not isinstance(expected, str | bytes):
        return False
    return hmac.compare_digest(_bytes(given), _bytes(expected))
