"""The HTTP layer for servers a visitor chose: public https only, checked on the socket actually opened."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore2
import httpx2
import openai
from httpcore2 import SyncBackend

from lib.urls import matches_prefix

# Marks a request sent to (and a response from) a server a visitor chose; lib.errors then never
# echoes what that server said.
FOREIGN = "responses_studio_foreign"
REFUSED = "refused: not a public https address"
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddress(httpcore2.ConnectError):
    """A connection the guard would not open; the SDK reports it like any unreachable server."""


class NotAnAPI(openai.APIError):
    """A 2xx answer that is a web page, not the API (a login portal, a docs site, a wrong path).

    An openai.APIError, so the SDK raises it as it is (no retries) and callers catch it with the rest.
    """

    def __init__(self, content_type: str, request: httpx2.Request) -> None:
        super().__init__(f"The server answered with {content_type}, not the API", request, body=None)
        self.content_type = content_type


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routable unicast address: no loopback, private, link-local, reserved or multicast."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return ip.is_global and not (
        ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified
    )


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, all of them public, or RefusedAddress (one bad one is enough)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise RefusedAddress(REFUSED) from error
    addresses = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not is_public(ip):
            raise RefusedAddress(REFUSED)
        addresses.append(str(ip))
    if not addresses:
        raise RefusedAddress(REFUSED)
    return addresses


class PublicOnlyBackend(SyncBackend):
    """Resolves once, checks every address, then connects to a checked one: DNS rebinding finds no gap."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        """Open a TCP connection to a public address of `host` only (TLS still checks `host` itself)."""
        last: Exception = RefusedAddress(REFUSED)
        for address in public_addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as error:
                last = error
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        """Never: a visitor's server is reached over the network."""
        raise RefusedAddress(REFUSED)


class VisitorTransport(httpx2.HTTPTransport):
    """Sends a request to a visitor's server: an owner-allowed prefix as is, else public https only."""

    def __init__(self, allowed_prefixes: tuple[str, ...] = ()) -> None:
        super().__init__(trust_env=False)  # no proxy from the environment: it would resolve the host itself
        self.allowed_prefixes = allowed_prefixes
        self._open = httpx2.HTTPTransport(trust_env=False)
        # httpx2's transport takes no network backend: give its pool ours (pinned by tests/unit/test_egress.py).
        self._pool._network_backend = PublicOnlyBackend()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send `request` through the guard unless the owner allowed its URL."""
        request.extensions = {**request.extensions, FOREIGN: True}
        if matches_prefix(str(request.url), self.allowed_prefixes):
            response = self._open.handle_request(request)
        elif request.url.scheme != "https":
            raise httpx2.ConnectError(REFUSED, request=request)
        else:
            response = super().handle_request(request)
        response.extensions = {**response.extensions, FOREIGN: True}
        return response

    def close(self) -> None:
        """Close both pools."""
        self._open.close()
        super().close()


def refuse_non_api_answers(response: httpx2.Response) -> None:
    """An event hook: a 2xx answer to a JSON request that is neither JSON nor a stream is not the API
    (a login portal, a docs site, a wrong path); say so instead of failing on its text."""
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    wanted = response.request.headers.get("accept", "")
    if not response.is_success or response.status_code == 204 or wanted != "application/json":
        return  # errors are the SDK's to read; downloads ask for application/binary
    if kind == "application/json" or kind.endswith("+json") or kind == "text/event-stream":
        return
    response.close()
    raise NotAnAPI(kind or "no content type", response.request)


def http_client(*, visitor: bool, allowed_prefixes: tuple[str, ...] = (), timeout: Any = None) -> httpx2.Client:
    """The SDK's HTTP client: guarded for a visitor's server (no redirects), the SDK's defaults otherwise."""
    from openai import DefaultHttpxClient

    hooks = {"response": [refuse_non_api_answers]}
    if visitor:
        return DefaultHttpxClient(
            transport=VisitorTransport(allowed_prefixes),
            follow_redirects=False,
            trust_env=False,
            event_hooks=hooks,
            timeout=timeout,
        )
    return DefaultHttpxClient(event_hooks=hooks, timeout=timeout)


def is_foreign(error: BaseException) -> bool:
    """True when the error came from, or on the way to, a server a visitor chose."""
    for holder in (getattr(error, "response", None), getattr(error, "request", None)):
        try:
            if holder is not None and holder.extensions.get(FOREIGN):
                return True
        except (AttributeError, RuntimeError):  # an error built without a request
            continue
    return False
