"""An HTTPS proxy on 127.0.0.1 that stands in for the platforms in tests.

The real client libraries (stravalib, garminconnect) talk to
``https://www.strava.com`` and ``https://connectapi.garmin.com`` exactly as in
production. With ``HTTPS_PROXY`` pointing here and the test CA as the CA
bundle, their ``CONNECT host:443`` arrives at this proxy, which terminates TLS
with a certificate for that host issued by the test CA and pipes the
decrypted bytes to a local fake app (a WSGI app on its own 127.0.0.1 port).
Hosts without a fake app are refused, so a test can never reach the internet.

No code under test is patched: this is the same path a user behind a
corporate proxy takes.
"""

from __future__ import annotations

import select
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import trustme
from werkzeug.serving import BaseWSGIServer, make_server

WSGIApp = Callable[..., Any]


class _TunnelHandler(socketserver.BaseRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        client: socket.socket = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, target, _ = (request_line.split(" ") + ["", ""])[:3]
        host = target.rsplit(":", 1)[0]
        self.server.seen_hosts.append(host)
        backend_port = self.server.backends.get(host)
        if method != "CONNECT" or backend_port is None:
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        try:
            tls = self.server.contexts[host].wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with socket.create_connection(("127.0.0.1", backend_port)) as backend:
            _pump(tls, backend)


def _pump(tls: ssl.SSLSocket, backend: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [tls, backend]
    while True:
        readable = [tls] if tls.pending() else select.select(sockets, [], [], 30)[0]
        if not readable:
            return
        for sock in readable:
            try:
                data = sock.recv(65536)
            except (ssl.SSLError, OSError):
                return
            if not data:
                return
            (backend if sock is tls else tls).sendall(data)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, backends: dict[str, int], contexts: dict[str, ssl.SSLContext]) -> None:
        super().__init__(("127.0.0.1", 0), _TunnelHandler)
        self.backends = backends
        self.contexts = contexts
        self.seen_hosts: list[str] = []


class PlatformProxy:
    """Fake platforms behind a TLS-terminating proxy; see the module docstring."""

    def __init__(self, apps: dict[str, WSGIApp], workdir: Path) -> None:
        self.apps = apps
        self.ca = trustme.CA()
        self.ca_path = workdir / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []
        self._proxy: _ProxyServer | None = None

    def start(self) -> PlatformProxy:
        backends: dict[str, int] = {}
        contexts: dict[str, ssl.SSLContext] = {}
        for host, app in self.apps.items():
            server = make_server("127.0.0.1", 0, app, threaded=True)
            self._serve(lambda server=server: server.serve_forever(poll_interval=0.05))
            self._servers.append(server)
            backends[host] = server.server_port
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ca.issue_cert(host).configure_cert(context)
            contexts[host] = context
        self._proxy = _ProxyServer(backends, contexts)
        proxy = self._proxy
        self._serve(lambda: proxy.serve_forever(poll_interval=0.05))
        return self

    def _serve(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def url(self) -> str:
        assert self._proxy is not None, "start() the proxy first"
        return f"http://127.0.0.1:{self._proxy.server_address[1]}"

    @property
    def seen_hosts(self) -> list[str]:
        return [] if self._proxy is None else list(self._proxy.seen_hosts)

    def env(self) -> dict[str, str]:
        """Environment variables a client process needs to go through this proxy."""
        return {
            "HTTPS_PROXY": self.url,
            "https_proxy": self.url,
            "HTTP_PROXY": self.url,
            "http_proxy": self.url,
            "NO_PROXY": "",
            "no_proxy": "",
            "REQUESTS_CA_BUNDLE": str(self.ca_path),
            "SSL_CERT_FILE": str(self.ca_path),
            "CURL_CA_BUNDLE": str(self.ca_path),
        }

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        if self._proxy is not None:
            self._proxy.shutdown()
            self._proxy.server_close()


@contextmanager
def platform_proxy(apps: dict[str, WSGIApp], workdir: Path) -> Iterator[PlatformProxy]:
    proxy = PlatformProxy(apps, workdir).start()
    try:
        yield proxy
    finally:
        proxy.stop()
