"""Where a delivery report may go: the callback egress policy.

A callback URL comes from whoever sends an SMS to the mock, so in a shared sandbox it is an
attacker's way to make the mock send requests on their behalf. The policy refuses, by default:

* the mock's own admin API: a URL whose path starts with ``/_mock`` at an address and port the
  server listens on (a report to the mock's own *vendor* endpoints is fine). The server tells
  the policy its bound sockets once they are bound (:meth:`Egress.listening`); a server bound to
  every interface (``0.0.0.0``, ``::``) cannot know every address that reaches it, so there any
  ``/_mock`` URL on its port is refused;
* link-local and cloud-metadata addresses: ``169.254.0.0/16``, ``fe80::/10``, ``fd00:ec2::254``.

With ``callbacks.deny_private: true`` it also refuses every address that is not globally
routable (loopback, private, shared, reserved ranges), for a mock shared by several teams.

The same check runs twice. At send time, on what the URL spells without DNS (IP literals in any
form ``getaddrinfo`` accepts numerically, such as ``2852039166``, and ``localhost``), so the vendor
answers its own invalid-callback error. At dispatch, on every address the host name resolves to
(with the event loop's ``getaddrinfo``), and once more in the HTTP client's resolver when it
connects, so a name that changes its answer between the two (DNS rebinding) is still refused.
IPv4-mapped IPv6 addresses (``::ffff:169.254.169.254``) are judged as the IPv4 address they carry.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

from aiohttp import ThreadedResolver
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Refused whatever the config says: (network, what it is).
ALWAYS_REFUSED: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.ip_network("169.254.0.0/16"), "a link-local address (cloud metadata)"),
    (ipaddress.ip_network("fe80::/10"), "a link-local address"),
    (ipaddress.ip_network("fd00:ec2::254/128"), "a cloud metadata address"),
)
ADMIN_SEGMENT = "_mock"  # the first path segment of the admin API
_LOOPBACK = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))

# Whether the request being connected goes to a ``/_mock`` path: the resolver runs inside the
# dispatcher's request (its task or one copied from it), so it sees what the dispatcher set.
admin_request: contextvars.ContextVar[bool] = contextvars.ContextVar("callback_admin_request", default=False)


class EgressRefused(OSError):
    """A callback's destination is refused; the HTTP client reports it as a connection error."""


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells with no DNS lookup, or None for a name.

    ``AI_NUMERICHOST`` makes ``getaddrinfo`` parse only (no network), and it accepts the forms a
    connection would (``2852039166``, ``0x7f.1``, ``127.1``) that ``ipaddress`` does not.
    """
    host = host.strip("[]")
    try:
        return _unmapped(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return None
    return _unmapped(ipaddress.ip_address(infos[0][4][0])) if infos else None


def is_admin_path(path: str) -> bool:
    """``/_mock``, ``/_mock/...`` (and ``//_mock/...``, any case: the check errs on the safe side)."""
    return path.lstrip("/").split("/", 1)[0].casefold() == ADMIN_SEGMENT


def _unmapped(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _is_local_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")  # RFC 6761: always loopback


class Egress:
    """The policy of one server: which destinations a callback may not reach, and why."""

    def __init__(self, *, deny_private: bool = False) -> None:
        self.deny_private = deny_private
        self._bound: set[tuple[IPAddress, int]] = set()
        self._wildcard_ports: set[int] = set()  # ports bound on 0.0.0.0 / ::

    def listening(self, addresses: Iterable[Any]) -> None:
        """Record the sockets the server is bound to: ``(host, port, ...)`` tuples as aiohttp's
        ``AppRunner.addresses`` lists them (Unix socket paths are ignored)."""
        for address in addresses:
            if not isinstance(address, tuple) or len(address) < 2:
                continue
            ip = literal_address(str(address[0]))
            if ip is None:
                continue
            if ip.is_unspecified:
                self._wildcard_ports.add(int(address[1]))
            else:
                self._bound.add((ip, int(address[1])))

    def forget_listening(self) -> None:
        self._bound.clear()
        self._wildcard_ports.clear()

    # -- judging -----------------------------------------------------------------------------
    def address_refusal(self, ip: IPAddress, port: int, admin: bool) -> str | None:
        """Why ``ip:port`` is refused (``admin``: the request goes to a ``/_mock`` path), or None."""
        ip = _unmapped(ip)
        for network, what in ALWAYS_REFUSED:
            if ip.version == network.version and ip in network:
                return f"{what} {ip}"
        if self.deny_private and not ip.is_global:
            return f"a private or loopback address {ip} (callbacks.deny_private)"
        if admin and self._is_self(ip, port):
            return f"the mock's own /_mock/ API at {ip}:{port}"
        return None

    def _is_self(self, ip: IPAddress, port: int) -> bool:
        if port in self._wildcard_ports or (ip, port) in self._bound:
            return True
        # Connecting to 0.0.0.0 or :: reaches this host: any bound port of ours then counts.
        return ip.is_unspecified and any(p == port for _, p in self._bound)

    def url_refusal(self, url: str) -> str | None:
        """The send-time check, without DNS: why ``url`` is refused, or None."""
        parts = _parse(url)
        if parts is None or not parts.host:
            return None  # the URL syntax check reports it
        admin = is_admin_path(parts.path)
        port = parts.port or 0
        ip = literal_address(parts.host)
        if ip is not None:
            return self.address_refusal(ip, port, admin)
        if _is_local_name(parts.host):
            for loopback in _LOOPBACK:
                why = self.address_refusal(loopback, port, admin)
                if why is not None:
                    return why
        return None

    async def resolved_refusal(self, url: str) -> str | None:
        """The dispatch-time check: an IP literal as at send time, a name by every address it
        resolves to (``localhost`` included: here it is what the resolver says).

        A name that does not resolve is not refused here: the attempt then fails as a
        connection error and is retried like any unreachable receiver.
        """
        parts = _parse(url)
        if parts is None or not parts.host:
            return None
        port = parts.port or 0
        ip = literal_address(parts.host)
        if ip is not None:
            return self.address_refusal(ip, port, is_admin_path(parts.path))
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(parts.host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return None
        admin = is_admin_path(parts.path)
        for info in infos:
            why = self.address_refusal(ipaddress.ip_address(info[4][0]), port, admin)
            if why is not None:
                return f"{parts.host} resolves to {why}"
        return None


class GuardedResolver(AbstractResolver):
    """aiohttp's threaded resolver (the loop's ``getaddrinfo``) that refuses what :class:`Egress`
    refuses, at the moment the client connects: the last word against DNS rebinding."""

    def __init__(self, egress: Egress) -> None:
        self._egress = egress
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        admin = admin_request.get()
        for result in results:
            why = self._egress.address_refusal(ipaddress.ip_address(result["host"]), result["port"] or port, admin)
            if why is not None:
                raise EgressRefused(f"{host} resolves to {why}")
        return results

    async def close(self) -> None:
        await self._inner.close()


def _parse(url: str) -> URL | None:
    try:
        return URL(url)
    except (ValueError, TypeError):
        return None
