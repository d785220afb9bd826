"""SSRF guard: webhook deliveries only ever connect to public internet addresses.

The check happens where the socket is opened (a urllib3 connection class that resolves the
host itself, checks every address and connects to the checked one), so a DNS answer cannot
change between the check and the connection. Environment proxies are not used. Development
may allow private targets with ``WEBHOOKS_ALLOW_PRIVATE_TARGETS``.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import create_connection

_BLOCKED_HOSTNAMES = {"localhost", "localhost.localdomain", "metadata.google.internal"}
_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal")


class BlockedTarget(Exception):
    """The URL points at an address deliveries must not reach."""


def _private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False))


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str) -> None:
    """Refuse URLs that can never be a valid target (checked when an endpoint is saved).

    Host names are resolved only at delivery time; here literal IPs and local names are
    refused so that the mistake is reported where it is made.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedTarget("Use an http:// or https:// URL.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise BlockedTarget("The URL has no host.")
    if _private_allowed():
        return
    if host in _BLOCKED_HOSTNAMES or host.endswith(_BLOCKED_SUFFIXES):
        raise BlockedTarget("Local host names cannot receive webhooks.")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not is_public_address(str(literal)):
        raise BlockedTarget("Private, loopback and link-local addresses cannot receive webhooks.")


def resolve_public_address(host: str, port: int) -> tuple[Any, ...]:
    """The first address of ``host`` as ``getaddrinfo`` gives it, after checking them all."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise BlockedTarget(f"Cannot resolve {host}: {exc}") from exc
    if not infos:
        raise BlockedTarget(f"Cannot resolve {host}.")
    if not _private_allowed():
        for info in infos:
            if not is_public_address(str(info[4][0])):
                raise BlockedTarget(
                    f"{host} resolves to {info[4][0]}, which is not a public address."
                )
    return infos[0]


class _GuardedConnectionMixin:
    _dns_host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        # Connect to the address that was checked, never to a second lookup's answer.
        sockaddr = resolve_public_address(self._dns_host, self.port)[4]
        return create_connection(
            (sockaddr[0], self.port),
            self.timeout,
            source_address=self.source_address,
            socket_options=self.socket_options,
        )


class GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def guarded_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment: they would bypass the guard
    adapter = GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
