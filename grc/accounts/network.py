"""The client's address, taken from ``TRUSTED_PROXY_COUNT`` trusted proxies and no further.

X-Forwarded-For is written by whoever sends the request; only the entries our own proxies
appended can be believed. With N trusted proxies the client is the N-th entry from the right;
with none, it is REMOTE_ADDR and the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def client_ip(meta: Mapping[str, Any], trusted_proxies: int | None = None) -> str:
    trusted = settings.TRUSTED_PROXY_COUNT if trusted_proxies is None else trusted_proxies
    remote: str = meta.get("REMOTE_ADDR", "") or ""
    if trusted <= 0:
        return remote
    forwarded: str = meta.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < trusted:
        return remote
    candidate = hops[-trusted]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


def axes_client_ip(request: HttpRequest) -> str:
    """django-axes asks here, so lockouts count the same address the audit trail records."""
    address: str | None = getattr(request, "client_ip", None)
    return address or client_ip(request.META)


@lru_cache(maxsize=8)
def parse_networks(cidrs: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def address_allowed(address: str, cidrs: list[str] | tuple[str, ...]) -> bool:
    """True when no allow-list is set, or the address lies in one of its networks."""
    if not cidrs:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in parse_networks(tuple(cidrs)) if network.version == ip.version)
