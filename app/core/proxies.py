"""The client's address behind trusted reverse proxies (``TINBAO_TRUSTED_PROXIES``).

Only when the peer that connected is a trusted proxy are ``Forwarded`` (RFC 7239) or
``X-Forwarded-For`` believed, and then the client is the rightmost address in the chain that
is not itself a trusted proxy: everything left of it was written by someone we cannot trust.
With no trusted proxies (the default) the headers are ignored and the peer is the client.
``X-Forwarded-Proto`` from a trusted peer sets the scheme.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_FORWARDED_FOR = re.compile(r'for\s*=\s*("[^"]*"|[^;,\s]+)', re.IGNORECASE)


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses); ValueError names the first one that is not."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"TINBAO_TRUSTED_PROXIES: {value!r} is not an address or CIDR"
            ) from None
    return tuple(networks)


def _address(token: str) -> Address | None:
    """An address from a header token: `1.2.3.4`, `1.2.3.4:80`, `[::1]:80`, `"[::1]"`."""
    token = token.strip().strip('"')
    if token.startswith("["):
        token = token[1:].split("]", 1)[0]
    elif token.count(":") == 1:
        token = token.split(":", 1)[0]
    try:
        return ipaddress.ip_address(token)
    except ValueError:
        return None


def forwarded_chain(headers: list[tuple[bytes, bytes]]) -> list[str] | None:
    """The addresses the proxies appended, left (first hop) to right; None without headers.
    ``Forwarded`` wins over ``X-Forwarded-For`` when both are present."""
    forwarded: list[str] = []
    x_forwarded: list[str] = []
    for key, value in headers:
        name = key.lower()
        if name == b"forwarded":
            forwarded.extend(_FORWARDED_FOR.findall(value.decode("latin-1")))
        elif name == b"x-forwarded-for":
            x_forwarded.extend(value.decode("latin-1").split(","))
    chain = forwarded or x_forwarded
    return chain or None


class TrustedProxies:
    def __init__(self, networks: tuple[Network, ...]) -> None:
        self.networks = networks

    def trusted(self, address: Address | None) -> bool:
        if address is None:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def client(self, peer: str, headers: list[tuple[bytes, bytes]]) -> str:
        """The client address for a request from `peer` carrying `headers`."""
        if not self.networks or not self.trusted(_address(peer)):
            return peer
        chain = forwarded_chain(headers)
        if not chain:
            return peer
        for token in reversed(chain):
            address = _address(token)
            if address is None:
                # Garbage (or an obfuscated identifier) where an address should be: nothing
                # left of it can be believed, and it is no address to count by either.
                return peer
            if not self.trusted(address):
                return str(address)
        return str(_address(chain[0]))  # every hop is a trusted proxy: the first one

    def forwarded_scope(self, scope: Scope) -> Scope:
        """``scope`` with the client (and the scheme) taken from the forwarding headers when
        the peer that connected is a trusted proxy, so that everything downstream (rate limits,
        logs) sees the real client; ``scope`` itself otherwise (always, with none trusted)."""
        if not self.networks or not scope.get("client"):
            return scope
        peer = scope["client"][0]
        if not self.trusted(_address(peer)):
            return scope
        headers = scope["headers"]
        client = self.client(peer, headers)
        if client != peer:
            scope = dict(scope, client=(client, 0))
        for key, value in headers:
            if key.lower() == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope = dict(scope, scheme=proto)
                break
        return scope
