"""The address guard: which hosts paperboy may connect to.

The check runs at connect time, on the address the name resolved to, so that a redirect or a
DNS answer that changes between check and use (rebinding) cannot reach a private network.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import anyio
import httpcore

# Python's ipaddress calls some of these global; they reach loopback or private hosts all the same.
_BLOCKED_V6 = tuple(
    ipaddress.ip_network(n)
    for n in (
        "::/96",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "fc00::/7",
        "fe80::/10",
    )
)


class BlockedAddress(Exception):
    """The address is private, loopback, link-local or otherwise not public."""


def address_is_public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%")[0])
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return address_is_public(str(addr.ipv4_mapped))
        if any(addr in net for net in _BLOCKED_V6):
            return False
    if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast:
        return False
    if addr.is_reserved or addr.is_unspecified or not addr.is_global:
        return False
    return True


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the name itself, refuses non-public addresses, connects to the checked address."""

    def __init__(self, allow_private: bool, allowed_hosts: Iterable[str]) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private
        self._allowed = frozenset(h.lower() for h in allowed_hosts)

    def _host_allowed(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]")
        return self._allow_private or host in self._allowed or f"{host}:{port}" in self._allowed

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if self._host_allowed(host, port):
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        addresses = [info[4][0] for info in infos]
        for ip in addresses:
            if not address_is_public(ip):
                raise BlockedAddress(f"{host} resolves to {ip}, a non-public address")
        last: Exception | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(ip, port, timeout, local_address, socket_options)
            except OSError as exc:  # try the next address
                last = exc
            except httpcore.ConnectError as exc:
                last = exc
        raise httpcore.ConnectError(str(last or f"cannot connect to {host}"))

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise BlockedAddress("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
