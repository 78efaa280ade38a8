"""A tiny threaded HTTP server on 127.0.0.1 with canned routes and a request log, for feed and page tests."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).parent / "data" / "feeds"


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    status: int = 0


@dataclass
class Route:
    """A canned response; `etag` / `last_modified` make the server answer 304 to a matching request."""

    body: bytes | Callable[[], bytes] = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    last_modified: str = ""
    delay: float = 0.0
    chunked: bool = False  # no Content-Length: the client must count the bytes itself


class LocalServer:
    """A tiny threaded HTTP server on 127.0.0.1 with a request log; routes are set per test.

    Fixture files may contain `{base}`, replaced by the server's address when served.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route | Callable[[Request], Route]] = {}
        self.log: list[Request] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                req = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                with server._lock:
                    server.log.append(req)
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                self._active = True
                try:
                    self._respond(req)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout, size limit): that is what some tests do
                finally:
                    self._leave()

            def _leave(self) -> None:
                # Counted as active until the response starts: once the client has it, it may start
                # its next request before this thread gets here, which is not two at once.
                if self._active:
                    self._active = False
                    with server._lock:
                        server.active -= 1

            def _respond(self, req: Request) -> None:
                route = server.routes.get(req.path.split("#")[0])
                if callable(route):
                    route = route(req)
                if route is None:
                    route = Route(b"<html><body>not here</body></html>", status=404, etag=False)
                if route.delay:
                    time.sleep(route.delay)
                self._leave()
                body = route.body() if callable(route.body) else route.body
                body = body.replace(b"{base}", server.base.encode())
                headers = dict(route.headers)
                if route.etag and route.status == 200:
                    headers["ETag"] = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                status = route.status
                if status == 200 and (
                    ("ETag" in headers and req.headers.get("if-none-match") == headers["ETag"])
                    or (route.last_modified and req.headers.get("if-modified-since") == route.last_modified)
                ):
                    status, body = 304, b""
                req.status = status
                self.send_response(status)
                if route.content_type and status != 304:
                    self.send_header("Content-Type", route.content_type)
                for k, v in headers.items():
                    self.send_header(k, v)
                if route.chunked and status == 200:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for i in range(0, len(body), 4096):
                        self.wfile.write(body[i : i + 4096])
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # clients that hang up early (timeouts, size limits) are part of the tests

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def file(self, path: str, name: str, content_type: str = "text/html; charset=utf-8", **kw) -> None:
        """Serve fixture file `name` at `path`."""
        self.routes[path] = Route((FIXTURES / name).read_bytes(), content_type, **kw)

    def requests(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]
