"""The test proxy itself: real TLS to a fake host, everything else refused."""

from __future__ import annotations

import pytest
import requests
from flask import Flask, jsonify, request

from tests.fakes.proxy import platform_proxy


def _app() -> Flask:
    app = Flask("fake")

    @app.get("/api/v3/ping")
    def ping():  # type: ignore[no-untyped-def]
        return jsonify(host=request.host, auth=request.headers.get("Authorization"))

    return app


def test_requests_reaches_fake_host_through_proxy_with_test_ca(tmp_path, monkeypatch):
    with platform_proxy({"www.strava.com": _app()}, tmp_path) as proxy:
        for key, value in proxy.env().items():
            monkeypatch.setenv(key, value)
        session = requests.Session()
        for _ in range(3):  # several requests over keep-alive tunnels
            reply = session.get("https://www.strava.com/api/v3/ping", headers={"Authorization": "Bearer x"})
            assert reply.status_code == 200
            assert reply.json() == {"host": "www.strava.com", "auth": "Bearer x"}
        assert proxy.seen_hosts[0] == "www.strava.com"


def test_unknown_hosts_are_refused(tmp_path, monkeypatch):
    with platform_proxy({"www.strava.com": _app()}, tmp_path) as proxy:
        for key, value in proxy.env().items():
            monkeypatch.setenv(key, value)
        with pytest.raises(requests.exceptions.ProxyError):
            requests.get("https://example.com/", timeout=5)


def test_certificate_is_not_trusted_without_the_test_ca(tmp_path, monkeypatch):
    with platform_proxy({"www.strava.com": _app()}, tmp_path) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
        with pytest.raises(requests.exceptions.SSLError):
            requests.get("https://www.strava.com/api/v3/ping", timeout=5)
