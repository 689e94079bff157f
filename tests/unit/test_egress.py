"""The guard on visitors' servers: public https only, decided on the address the socket connects to."""

from __future__ import annotations

import ipaddress
import socket

import httpx2
import openai
import pytest

from lib.client import build_client
from lib.egress import REFUSED, http_client, is_public
from lib.errors import explain
from lib.settings import resolve
from lib.urls import mask_url, matches_prefix
from tests.fake_openai import FakeOpenAI

REAL_GETADDRINFO = socket.getaddrinfo


def resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> list[str]:
    """DNS (the network peer) answering `names` with these addresses; returns the names looked up."""
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001, ANN202 - socket's signature
        asked.append(host)
        if host in names:
            return [
                (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                for ip in names[host]
            ]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "2002:7f00:1::1",
    ],
)
def test_non_public_addresses(ip: str) -> None:
    assert not is_public(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["8.8.8.8", "104.18.6.192", "2606:4700::6812:6c0"])
def test_public_addresses(ip: str) -> None:
    assert is_public(ipaddress.ip_address(ip))


def test_a_name_resolving_to_a_private_address_is_refused_on_connect(monkeypatch, fake_openai: FakeOpenAI) -> None:
    asked = resolving(monkeypatch, {"api.evil.example": ["10.0.0.7"]})
    with http_client(visitor=True) as client, pytest.raises(httpx2.ConnectError, match=REFUSED):
        client.get("https://api.evil.example/v1/models")
    assert asked == ["api.evil.example"]


def test_one_private_address_among_public_ones_is_enough_to_refuse(monkeypatch) -> None:
    resolving(monkeypatch, {"rebind.example": ["93.184.216.34", "127.0.0.1"]})
    with http_client(visitor=True) as client, pytest.raises(httpx2.ConnectError, match=REFUSED):
        client.get("https://rebind.example/v1/models")


def test_the_socket_goes_to_the_checked_address_not_to_a_second_lookup(monkeypatch) -> None:
    # DNS rebinding: a name that answers a public address to the check and loopback to the connect.
    answers = iter([["8.8.4.4"], ["127.0.0.1"], ["127.0.0.1"]])
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001, ANN202 - socket's signature
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in next(answers)]

    dialled: list[tuple[str, int]] = []

    def create_connection(address, *args, **kwargs):  # noqa: ANN001, ANN202 - the network peer, not ours
        dialled.append(address)
        raise ConnectionRefusedError("nothing listens in this test")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    with http_client(visitor=True) as client, pytest.raises(httpx2.ConnectError):
        client.get("https://rebind.example/v1/models")
    assert asked == ["rebind.example"] and dialled == [("8.8.4.4", 443)]


def test_plain_http_is_refused_before_any_lookup(monkeypatch, fake_openai: FakeOpenAI) -> None:
    asked = resolving(monkeypatch, {})
    with http_client(visitor=True) as client, pytest.raises(httpx2.ConnectError, match=REFUSED):
        client.get(f"{fake_openai.base_url}/models")
    assert asked == [] and fake_openai.requests == []


def test_the_owners_allowed_prefixes_pass(fake_openai: FakeOpenAI) -> None:
    with http_client(visitor=True, allowed_prefixes=(fake_openai.base_url,)) as client:
        assert client.get(f"{fake_openai.base_url}/models").status_code == 200
    assert len(fake_openai.requests) == 1


def test_prefixes_match_whole_hosts_and_path_segments() -> None:
    allowed = ("https://llm.example.com/v1",)
    assert matches_prefix("https://llm.example.com/v1/responses", allowed)
    assert matches_prefix("https://LLM.example.com:443/v1", allowed)
    assert not matches_prefix("https://llm.example.com.evil.net/v1/responses", allowed)
    assert not matches_prefix("https://llm.example.com/v10/responses", allowed)
    assert not matches_prefix("http://llm.example.com/v1/responses", allowed)
    assert not matches_prefix("https://llm.example.com:8443/v1/responses", allowed)


def test_only_a_visitors_server_in_shared_mode_is_guarded(fake_openai: FakeOpenAI) -> None:
    owner = resolve(
        {}, {"OPENAI_API_KEY": "sk-owner", "APP_MODE": "shared"}, {"OPENAI_BASE_URL": fake_openai.base_url}, {}
    )
    visitor = resolve({"api_key": "sk-visitor", "base_url": fake_openai.base_url}, {"APP_MODE": "shared"}, {}, {})
    local = resolve({"api_key": "sk-visitor", "base_url": fake_openai.base_url}, {}, {}, {})
    assert (owner.visitor_endpoint, visitor.visitor_endpoint, local.visitor_endpoint) == (False, True, False)
    assert build_client(owner).models.list().data
    assert build_client(local).models.list().data
    with pytest.raises(openai.APIConnectionError) as refused:
        build_client(visitor).with_options(max_retries=0).models.list()
    assert "public https address" in explain(refused.value, endpoint=visitor.endpoint)
    assert len(fake_openai.requests) == 2


def test_mask_url_hides_userinfo_query_and_fragment() -> None:
    assert mask_url("https://user:tok3n@host/v1?key=abc#frag") == "https://***@host/v1?***#***"
    assert mask_url("https://tok3n@host:8443/v1") == "https://***@host:8443/v1"
    assert mask_url("https://api.openai.com/v1") == "https://api.openai.com/v1"
    assert mask_url("http://[::1]:80/v1?a=b") == "http://[::1]:80/v1?***"


def test_organization_and_project_only_from_settings(monkeypatch, fake_openai: FakeOpenAI) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-owner")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_owner")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-owner")
    monkeypatch.setenv("OPENAI_CUSTOM_HEADERS", "X-Owner-Token: tok-owner")
    import os

    owner = resolve({}, {}, {**os.environ, "OPENAI_API_KEY": "sk-owner", "OPENAI_BASE_URL": fake_openai.base_url}, {})
    visitor = resolve({"api_key": "sk-visitor", "base_url": fake_openai.base_url}, {}, os.environ, {})
    assert (owner.organization, owner.project) == ("org-owner", "proj_owner")
    assert (visitor.organization, visitor.project) == (None, None)
    build_client(owner).models.list()
    build_client(visitor).with_options(max_retries=0).models.list()  # a copy, as every chat turn makes
    to_owner, to_visitor = (r.headers for r in fake_openai.requests)
    assert (to_owner["openai-organization"], to_owner["openai-project"]) == ("org-owner", "proj_owner")
    assert "openai-organization" not in to_visitor and "openai-project" not in to_visitor
    for headers in (to_owner, to_visitor):
        assert "x-owner-token" not in headers and "sk-admin-owner" not in str(headers)
