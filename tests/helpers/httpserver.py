"""A real HTTP server on 127.0.0.1 for download tests: serves files, errors, cut bodies, stalls.

Use as a context manager; register what each path does, then point URLs at ``server.url(path)``.
Every request is recorded (method, path, headers) so tests can check what the client sent.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

__all__ = ["LocalHTTPServer", "Request"]

_LAST_MODIFIED = formatdate(1_680_000_000, usegmt=True)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]


Behaviour = Callable[[BaseHTTPRequestHandler], None]


class LocalHTTPServer:
    """A threaded HTTP server on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.requests: list[Request] = []
        self._closing = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.requests.append(Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
                behaviour = server.routes.get(self.path)
                if behaviour is None:
                    _send(self, 404, b"not found", content_type="text/plain")
                else:
                    behaviour(self)

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def gets(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    # --- behaviours -------------------------------------------------------------------

    def serve(self, path: str, body: bytes, *, content_type: str = "text/csv", validators: bool = True) -> None:
        """Serve ``body``; with ``validators``, send ETag / Last-Modified and honour conditional GETs."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

        def behaviour(h: BaseHTTPRequestHandler) -> None:
            if validators and (
                h.headers.get("If-None-Match") == etag or h.headers.get("If-Modified-Since") == _LAST_MODIFIED
            ):
                h.send_response(304)
                h.send_header("ETag", etag)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            extra = {"ETag": etag, "Last-Modified": _LAST_MODIFIED} if validators else {}
            _send(h, 200, body, content_type=content_type, headers=extra)

        self.routes[path] = behaviour

    def status(self, path: str, code: int, body: bytes = b"error") -> None:
        """Always answer ``code``."""
        self.routes[path] = lambda h: _send(h, code, body, content_type="text/plain")

    def fail_then_serve(self, path: str, body: bytes, *, failures: int, code: int = 500) -> None:
        """Answer ``code`` to the first ``failures`` requests, then serve ``body``."""
        count = {"n": 0}

        def behaviour(h: BaseHTTPRequestHandler) -> None:
            count["n"] += 1
            if count["n"] <= failures:
                _send(h, code, b"try later", content_type="text/plain")
            else:
                _send(h, 200, body, content_type="text/csv")

        self.routes[path] = behaviour

    def truncated(self, path: str, body: bytes, *, send: int) -> None:
        """Announce the full length of ``body`` but send only its first ``send`` bytes, then close."""

        def behaviour(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "text/csv")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[:send])
            h.wfile.flush()
            h.close_connection = True

        self.routes[path] = behaviour

    def throttled(self, path: str, body: bytes, *, chunk: int, delay: float) -> None:
        """Serve ``body`` (with its length) ``chunk`` bytes at a time, ``delay`` seconds apart."""

        def behaviour(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "text/csv")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            for start in range(0, len(body), chunk):
                h.wfile.write(body[start : start + chunk])
                h.wfile.flush()
                if self._closing.wait(delay):
                    return

        self.routes[path] = behaviour

    def stall(self, path: str, *, seconds: float) -> None:
        """Accept the request and say nothing for ``seconds`` (or until the server closes)."""

        def behaviour(h: BaseHTTPRequestHandler) -> None:
            self._closing.wait(seconds)
            h.close_connection = True

        self.routes[path] = behaviour


def _send(
    h: BaseHTTPRequestHandler,
    code: int,
    body: bytes,
    *,
    content_type: str,
    headers: dict[str, str] | None = None,
) -> None:
    h.send_response(code)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)
