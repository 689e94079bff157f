"""FakeOpenAI: a local HTTP server that speaks the OpenAI Responses wire protocol."""

from __future__ import annotations

import collections
import json
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .api import Api, DropReply, JsonReply, Reply, StreamReply, error
from .auth import auth_error
from .containers_api import ContainersApi
from .context_api import ContextApi
from .files_api import FilesApi, RawBytes, parse_multipart
from .items import new_id
from .recording import Frame
from .scripts import Script, error_body
from .store import Store

DEFAULT_MODELS = ("gpt-5-mini", "gpt-4.1-mini", "o4-mini")

# OpenAI (`/v1`), Azure v1 (`/openai/v1`) and classic Azure (`/openai`, `/openai/deployments/<name>`) prefixes.
_PREFIX = re.compile(r"^(?:/openai(?:/deployments/[^/]+)?)?(?:/v1)?(?=/)")


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


def route_of(path: str) -> str:
    """The endpoint path without its API prefix: `/v1/responses` -> `/responses`."""
    return _PREFIX.sub("", path, count=1) or "/"


class FakeOpenAI:
    """A scripted OpenAI API on 127.0.0.1, for the SDK to talk to over real HTTP."""

    def __init__(
        self,
        models: Iterable[str] = DEFAULT_MODELS,
        api_keys: Iterable[str] | None = None,
        conversations: bool = True,
        *,
        counts_tokens: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        chunked: bool = False,
    ) -> None:
        self.models = tuple(models)
        # api.openai.com chunks its streams; a cut chunked stream makes the SDK raise APIConnectionError.
        self.chunked = chunked
        # A lone string is one key, not a set of characters.
        keys = [api_keys] if isinstance(api_keys, str) else api_keys
        self.api_keys = set(keys) if keys is not None else None
        self.conversations = conversations
        self._address = (host, port)
        self._lock = threading.Lock()
        self._queue: collections.deque[Script] = collections.deque()
        # Scripts for one model's requests, used before the shared queue: columns asked in parallel
        # arrive in any order, so a test names which answer goes to which model.
        self._by_model: dict[str, collections.deque[Script]] = {}
        self._responder: Callable[[dict[str, Any]], Script | None] | None = None
        self._log: list[Recorded] = []
        self._closed: list[Recorded] = []
        self.store = Store()
        self._api = Api(self.models, conversations, self.store, self._next_script)
        self.files = FilesApi()  # /v1/files and /v1/vector_stores; scripted as fake.files.fail(...)
        self._api.routes.extend(self.files.routes)
        self.containers = ContainersApi()  # code-interpreter files; scripted as fake.containers.put(...)
        self._api.routes.extend(self.containers.routes)
        # input_tokens and compact; counts_tokens=False plays a server without them (404)
        self.context = ContextApi(self.store, conversations, enabled=counts_tokens)
        self._api.routes.extend(self.context.routes)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeOpenAI:
        """Listen on a free port (or the given one) in a daemon thread."""
        server = ThreadingHTTPServer(self._address, _handler_for(self))
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        # A short poll interval keeps stop() fast.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; streams still being written are abandoned."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The SDK's `base_url` for this server."""
        return f"http://{self._address[0]}:{self.port}/v1"

    def queue(self, *scripts: Script) -> FakeOpenAI:
        """Answer the next `POST /v1/responses` requests with these scripts, in order."""
        with self._lock:
            self._queue.extend(scripts)
        return self

    def queue_for(self, model: str, *scripts: Script) -> FakeOpenAI:
        """Answer the next `POST /v1/responses` requests for `model` with these scripts, in order."""
        with self._lock:
            self._by_model.setdefault(model, collections.deque()).extend(scripts)
        return self

    def respond(self, responder: Callable[[dict[str, Any]], Script | None] | None) -> FakeOpenAI:
        """Answer `POST /v1/responses` from the request body when no script is queued (None: the echo again).

        For concurrent requests whose order is not fixed (an eval run's rows): the answer follows the request.
        """
        with self._lock:
            self._responder = responder
        return self

    @property
    def requests(self) -> list[Recorded]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def response_requests(self) -> list[Any]:
        """The JSON bodies of `POST /v1/responses` requests, oldest first."""
        return [r.body for r in self.requests if r.method == "POST" and route_of(r.path) == "/responses"]

    def last_input(self) -> Any:
        """The `input` of the last `POST /v1/responses` (a list of items, or a string as sent)."""
        bodies = self.response_requests()
        if not bodies:
            raise LookupError("no POST /v1/responses received yet")
        return bodies[-1].get("input") if isinstance(bodies[-1], dict) else None

    def reset(self) -> None:
        """Forget queued scripts, recorded requests, stored responses and conversations."""
        with self._lock:
            self._queue.clear()
            self._by_model.clear()
            self._responder = None
            self._log.clear()
            self._closed.clear()
        self.store.clear()
        self.files.clear()
        self.containers.clear()

    def _next_script(self, body: dict[str, Any] | None = None) -> Script | None:
        """A script for this request: the model's own queue, the shared queue, else the responder's answer."""
        body = body or {}
        with self._lock:
            if own := self._by_model.get(body.get("model") or ""):
                return own.popleft()
            if self._queue:
                return self._queue.popleft()
            responder = self._responder
        return responder(body) if responder is not None else None

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self._log.append(request)

    @property
    def closed_streams(self) -> list[Recorded]:
        """Requests whose answer the client hung up on while it was still being written, oldest first."""
        with self._lock:
            return list(self._closed)

    def _closed_by_client(self, request: Recorded) -> None:
        with self._lock:
            self._closed.append(request)

    def answer(self, request: Recorded) -> Reply:
        """Record a request, then work out its reply."""
        self._record(request)
        rejected = auth_error(self.api_keys, request.headers)
        if rejected is not None:
            return rejected
        try:
            return self._api.handle(request.method, route_of(request.path), request.path, request.query, request.body)
        except Exception:  # noqa: BLE001 - a bug in the double should surface as a 500, not a hung client
            traceback.print_exc()
            return JsonReply(500, error_body("The fake server failed.", type="server_error"))


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    """A request-handler class bound to one FakeOpenAI."""

    class Handler(_Handler):
        owner = fake

    return Handler


class _Handler(BaseHTTPRequestHandler):
    """Parses a request, asks the owner for the reply and writes it."""

    owner: FakeOpenAI
    # HTTP/1.1 keeps JSON connections alive; streams close their connection to mark their end.
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; Nagle plus delayed ACKs would stall each answer ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: tests read `fake.requests`, not stderr."""

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            content_type = self.headers.get("content-type", "")
            if raw and content_type.startswith("multipart/form-data"):
                body = parse_multipart(content_type, raw)
            else:
                body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Recorded(self.command, split.path, dict(parse_qsl(split.query)), headers, body)
        if raw and body is None:
            self.owner._record(request)
            reply: Reply = error(400, "We could not parse the JSON body of your request.")
        else:
            reply = self.owner.answer(request)
        try:
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError):
            # The client went away mid-answer (a stopped stream): nothing to finish.
            self.close_connection = True
            self.owner._closed_by_client(request)

    def _write(self, reply: Reply) -> None:
        if isinstance(reply, JsonReply):
            self._write_json(reply)
        elif isinstance(reply, StreamReply):
            self._write_stream(reply)
        else:
            assert isinstance(reply, DropReply)
            self._drop()

    def _write_json(self, reply: JsonReply) -> None:
        raw = isinstance(reply.body, RawBytes)  # file content goes out as-is
        data = reply.body if raw else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/octet-stream" if raw else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", new_id("req"))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _write_stream(self, reply: StreamReply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("x-request-id", new_id("req"))
        chunked = self.owner.chunked if reply.chunked is None else reply.chunked
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        # Without chunking the body ends when the connection closes, and a cut looks like a clean end.
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        sent = 0
        for pause, event in reply.steps:
            if reply.cut_after is not None and sent >= reply.cut_after:
                self._drop()
                return
            if pause:
                time.sleep(pause)
            kind = event["type"] if isinstance(event, dict) else getattr(event, "type", None)
            if reply.on_done is not None and kind in _TERMINAL:
                # Store before the terminal event leaves, so a client's next request already sees it.
                reply.on_done()
            self._send_body(_sse(event), chunked)
            sent += not isinstance(event, str)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _send_body(self, data: bytes, chunked: bool) -> None:
        """Write and flush one piece of a stream, framed as a chunk when chunking."""
        if chunked:
            data = f"{len(data):x}\r\n".encode() + data + b"\r\n"
        self.wfile.write(data)
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the socket at once, without a terminal event or a response."""
        self.close_connection = True
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)


_TERMINAL = frozenset({"response.completed", "response.failed", "response.incomplete"})


def _sse(event: dict[str, Any] | str | Frame) -> bytes:
    """One SSE frame: `event:` + `data:` lines, or a `:` comment line, then a blank line; a recorded frame as-is."""
    if isinstance(event, Frame):
        return event.data
    if isinstance(event, str):
        line = event if event.startswith(":") else f": {event}"
        return f"{line}\n\n".encode()
    return f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()
