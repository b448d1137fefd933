"""A local stand-in for Tableau Server's REST API, on 127.0.0.1: the calls tableauserverclient
makes to publish (server info, sign-in, find a project, publish a data source or a workbook in
one multipart request or through a chunked file upload, sign-out).

It checks what it receives as Tableau would: the personal access token and the site at
sign-in, the session token on every later call, the project id, the multipart parts and
their file names; it keeps every uploaded file so a test can open it. ``fail`` makes one kind
of call answer with an error status and Tableau's error document.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
import threading
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["FakeTableauServer", "Published", "Received"]

NS = "http://tableau.com/api"
_ERRORS = {
    401: ("401001", "Signin Error", "Error signing in to Tableau Server"),
    403: ("403007", "Forbidden", "The user does not have permission to publish to this project."),
    404: ("404000", "Resource Not Found", "The site or resource does not exist."),
    409: ("409004", "Resource Conflict", "A resource of that name already exists in the project."),
    500: ("500000", "Internal Server Error", "The server encountered an error."),
    503: ("503000", "Service Unavailable", "The server is starting up."),
}


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Published:
    kind: str  # 'datasource' or 'workbook'
    name: str
    project_id: str
    file_name: str
    content: bytes
    show_tabs: str | None = None
    chunked: bool = False


@dataclass
class _State:
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    site_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    user_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    signed_in: bool = False
    uploads: dict[str, bytearray] = field(default_factory=dict)


class FakeTableauServer:
    """Tableau's REST API for one site, with the given projects (name -> id is generated)."""

    def __init__(
        self, *, token_name: str, token_secret: str, site: str = "", projects: tuple[str, ...] = ("default",)
    ) -> None:
        self.api = "3.28"
        self.token_name, self.token_secret, self.site = token_name, token_secret, site
        self.projects = {name: str(uuid.uuid4()) for name in projects}
        self.fail: dict[str, int] = {}
        self.received: list[Received] = []
        self.published: list[Published] = []
        self.signed_out = False
        self.problems: list[str] = []  # what a real server would have refused
        self._state = _State()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                received = Received(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                server.received.append(received)
                status, document = server._route(received)
                data = document if isinstance(document, bytes) else document.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, format: str, *args: object) -> None:
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeTableauServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- the API ---

    def _route(self, r: Received) -> tuple[int, str]:
        if r.method == "GET" and r.path == "/api/2.4/serverInfo":
            return 200, _doc(
                f"<serverInfo><productVersion build='20261.26.0101.0000'>2026.1.0</productVersion>"
                f"<restApiVersion>{self.api}</restApiVersion></serverInfo>"
            )
        versioned = re.fullmatch(r"/api/(\d+)\.(\d+)/(.+)", r.path)
        if versioned is None or (int(versioned[1]), int(versioned[2])) < (2, 4):
            return self._error(404, f"unknown path {r.path}")
        route = versioned[3]
        if route == "auth/signin" and r.method == "POST":
            return self._sign_in(r)
        if r.headers.get("x-tableau-auth") != self._state.token or not self._state.signed_in:
            return self._error(401, f"{r.method} {r.path} without the session token")
        if route == "auth/signout" and r.method == "POST":
            self._state.signed_in = False
            self.signed_out = True
            return 204, ""
        site_prefix = f"sites/{self._state.site_id}/"
        if not route.startswith(site_prefix):
            return self._error(404, f"{route}: not the signed-in site")
        route = route[len(site_prefix) :]
        kind = route.split("/")[0]
        if kind in self.fail:
            return self._error(self.fail[kind], f"{kind} told to fail")
        if route == "projects" and r.method == "GET":
            return self._projects(r)
        if route == "fileUploads" and r.method == "POST":
            upload_id = f"{uuid.uuid4().int % 10000}:{uuid.uuid4().hex}-1:0"
            self._state.uploads[upload_id] = bytearray()
            return 201, _doc(f"<fileUpload uploadSessionId='{upload_id}' fileSize='0'/>")
        if route.startswith("fileUploads/") and r.method == "PUT":
            upload_id = unquote(route.split("/", 1)[1])
            if upload_id not in self._state.uploads:
                return self._error(404, f"no upload session {upload_id}")
            parts = _multipart(r)
            if set(parts) != {"request_payload", "tableau_file"}:
                self.problems.append(f"file upload parts {sorted(parts)}")
            self._state.uploads[upload_id] += parts.get("tableau_file", (None, b""))[1]
            size = len(self._state.uploads[upload_id]) // (1024 * 1024)
            return 200, _doc(f"<fileUpload uploadSessionId='{upload_id}' fileSize='{size}'/>")
        if route in {"datasources", "workbooks"} and r.method == "POST":
            return self._publish(r, kind=route[:-1])
        return self._error(404, f"{r.method} {route} is not part of this stand-in")

    def _sign_in(self, r: Received) -> tuple[int, str]:
        credentials = ET.fromstring(r.body).find("credentials")
        if credentials is None:
            return self._error(401, "no credentials")
        site = credentials.find("site")
        if (
            credentials.get("personalAccessTokenName") != self.token_name
            or credentials.get("personalAccessTokenSecret") != self.token_secret
            or site is None
            or (site.get("contentUrl") or "") != self.site
        ):
            return self._error(401, "wrong token or site")
        self._state.signed_in = True
        return 200, _doc(
            f"<credentials token='{self._state.token}'><site id='{self._state.site_id}' "
            f"contentUrl='{self.site}'/><user id='{self._state.user_id}'/></credentials>"
        )

    def _projects(self, r: Received) -> tuple[int, str]:
        wanted = None
        for condition in r.query.get("filter", []):
            field_name, operator, value = condition.split(":", 2)
            if (field_name, operator) != ("name", "eq"):
                self.problems.append(f"project filter {condition}")
            wanted = value
        rows = [(n, i) for n, i in self.projects.items() if wanted is None or n == wanted]
        projects = "".join(
            f"<project id='{i}' name='{n}' description='' contentPermissions='ManagedByOwner'/>" for n, i in rows
        )
        return 200, _doc(
            f"<pagination pageNumber='1' pageSize='100' totalAvailable='{len(rows)}'/><projects>{projects}</projects>"
        )

    def _publish(self, r: Received, *, kind: str) -> tuple[int, str]:
        parts = _multipart(r)
        if "request_payload" not in parts:
            return self._error(400, "no request_payload part")
        payload = ET.fromstring(parts["request_payload"][1]).find(kind)
        if payload is None:
            return self._error(400, f"request_payload has no <{kind}>")
        project = payload.find("project")
        project_id = project.get("id") if project is not None else None
        if project_id not in self.projects.values():
            return self._error(404, f"project {project_id} does not exist")
        upload = r.query.get("uploadSessionId", [None])[0]
        file_part = f"tableau_{kind}"
        if upload is not None:
            content, file_name = bytes(self._state.uploads.pop(upload)), f"{payload.get('name')}.{kind}"
            if file_part in parts:
                self.problems.append("a chunked publish also sent the file")
        elif file_part in parts:
            file_name, content = parts[file_part]
        else:
            return self._error(400, f"no {file_part} part")
        name = payload.get("name") or ""
        overwrite = r.query.get("overwrite", ["false"])[0] == "true"
        if not overwrite and any((p.kind, p.name, p.project_id) == (kind, name, project_id) for p in self.published):
            return self._error(409, f"{kind} {name} exists")
        self.published = [p for p in self.published if (p.kind, p.name, p.project_id) != (kind, name, project_id)]
        self.published.append(
            Published(kind, name, project_id, file_name or "", content, payload.get("showTabs"), upload is not None)
        )
        item_id = str(uuid.uuid4())
        return 201, _doc(
            f"<{kind} id='{item_id}' name='{name}' contentUrl='{name}'><project id='{project_id}' name=''/>"
            f"<owner id='{self._state.user_id}'/><tags/></{kind}>"
        )

    def _error(self, status: int, why: str) -> tuple[int, str]:
        code, summary, detail = _ERRORS.get(status, (f"{status}000", "Error", why))
        if status == 400:
            self.problems.append(why)
        return status, _doc(f"<error code='{code}'><summary>{summary}</summary><detail>{detail}</detail></error>")


def _doc(inner: str) -> str:
    return f"<?xml version='1.0' encoding='UTF-8'?><tsResponse xmlns='{NS}'>{inner}</tsResponse>"


def _multipart(r: Received) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/mixed body: name -> (file name, content)."""
    head = f"Content-Type: {r.headers.get('content-type', '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + r.body)
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return parts
