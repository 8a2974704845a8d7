"""The address guard: which hosts paperboy may connect to.

The check runs at connect time, on the address the name resolved to, so that a redirect or a
DNS answer that changes between check and use (rebinding) cannot reach a private network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Iterable

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


class Guard:
    """Connects only to public addresses (unless allowed): resolves the name itself, refuses a
    non-public address, and connects to the address it checked."""

    def __init__(self, allow_private: bool, allowed_hosts: Iterable[str]) -> None:
        self._allow_private = allow_private
        self._allowed = frozenset(h.lower() for h in allowed_hosts)

    def _host_allowed(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]")
        return self._allow_private or host in self._allowed or f"{host}:{port}" in self._allowed

    async def connect(
        self, host: str, port: int, tls: ssl.SSLContext | None
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to `host` (TLS with `tls` when given); BlockedAddress, or an OSError saying
        what failed (ssl.SSLError for the handshake)."""
        name = host.strip("[]")

        async def open_to(address: str):
            if tls is None:
                return await asyncio.open_connection(address, port)
            return await asyncio.open_connection(address, port, ssl=tls, server_hostname=name)

        if self._host_allowed(host, port):
            return await open_to(name)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise OSError(f"cannot resolve {name}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for ip in addresses:
            if not address_is_public(ip):
                raise BlockedAddress(f"{name} resolves to {ip}, a non-public address")
        failures = []
        for ip in addresses:
            try:
                return await open_to(ip)
            except ssl.SSLError:
                raise  # the host answered: its certificate, not the address, is what failed
            except OSError as exc:  # try the next address
                failures.append(f"{ip}: {exc.strerror or exc}")
        raise OSError(f"cannot connect to {name}:{port} ({'; '.join(failures) or 'no address'})")
