"""sms-mockserver: a local emulator of Thai and Vietnamese SMS provider APIs.

The public entry points are :func:`mockserver.app.create_app`, :class:`mockserver.embed.MockServer`
(the server inside a program or a test), the ``sms_mock`` pytest fixture and the ``mockserver``
command.
Heavy modules are imported lazily so that ``import mockserver`` stays fast.
"""

from __future__ import annotations

from mockserver.version import __version__

__all__ = ["MockServer", "__version__", "create_app"]


def __getattr__(name: str):  # pragma: no cover - trivial lazy import
    if name == "create_app":
        from mockserver.app import create_app

        return create_app
    if name == "MockServer":
        from mockserver.embed import MockServer

        return MockServer
    raise AttributeError(name)
