"""Where a webhook may be sent, and sending it to the address that was checked.

An address is public only when it, and every IPv4 address it embeds, is globally routable:
IPv6 forms that wrap an IPv4 address are unwrapped first, so ``::ffff:127.0.0.1`` (mapped),
``::127.0.0.1`` (IPv4-compatible), ``64:ff9b::7f00:1`` and ``64:ff9b:1::/48`` (NAT64),
``2002:7f00:1::`` (6to4) and Teredo (``2001::/32``, its client and server) are judged by the
IPv4 inside. Multicast is never public.

DNS rebinding: a name that resolved to a public address when it was checked could resolve to
an internal one when the request connects. ``resolve_target`` therefore resolves once, checks
every address, and the request is sent to that address itself (``pinned_request``): the URL
carries the IP, the ``Host`` header the name, and for https the TLS SNI and certificate check
use the name (httpcore's ``sni_hostname`` extension). Nothing resolves the name a second time.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:  # ::a.b.c.d (deprecated IPv4-compatible)
        found.append(ipaddress.IPv4Address(packed[12:]))
    if any(ip in net for net in _NAT64):
        found.append(ipaddress.IPv4Address(packed[12:]))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def is_public(address: str | IPAddress) -> bool:
    ip = address if not isinstance(address, str) else ipaddress.ip_address(address.split("%")[0])
    if ip.is_multicast or not ip.is_global:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        return all(v4.is_global and not v4.is_multicast for v4 in embedded_ipv4(ip))
    return True


class TargetRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unresolvable" or "private"


@dataclass(frozen=True)
class ResolvedTarget:
    url: str
    host: str  # the name (or literal) in the URL
    port: int
    address: str  # the checked address the request goes to


async def resolve_target(url: str, *, allow_private: bool) -> ResolvedTarget:
    """Resolve the URL's host once; refuse when any address is not public (unless allowed)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):
            raise TargetRefused("unresolvable") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise TargetRefused("unresolvable")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise TargetRefused("private")
    return ResolvedTarget(url=url, host=host, port=port, address=addresses[0])


def pinned_request(
    http: httpx.AsyncClient, target: ResolvedTarget, *, content: bytes, headers: dict[str, str]
) -> httpx.Request:
    """A POST to the checked address, with the name in ``Host`` (and SNI for https)."""
    original = httpx.URL(target.url)
    ip = ipaddress.ip_address(target.address.split("%")[0])
    pinned = original.copy_with(host=str(ip))
    host_header = original.netloc.decode("ascii")
    extensions = {"sni_hostname": target.host} if original.scheme == "https" else {}
    return http.build_request(
        "POST",
        pinned,
        content=content,
        headers={**headers, "Host": host_header},
        extensions=extensions,
    )
