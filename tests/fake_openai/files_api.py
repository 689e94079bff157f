"""The Files and Vector Stores endpoints of the double, with scripted processing and failures.

A vector-store file starts `in_progress`; each GET that shows it (retrieve, list, batch files, batch retrieve)
is one poll, and after `polls_to_complete` polls it becomes `completed`, or `failed` when a test scripted a
failure for its file name. Deleting a file also detaches it from every store (a simplification).
"""

from __future__ import annotations

import email.parser
import email.policy
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .api import JsonReply
from .items import new_id
from .scripts import error_body
from .store import cursor_page

PURPOSES = (
    "assistants",
    "assistants_output",
    "batch",
    "batch_output",
    "fine-tune",
    "fine-tune-results",
    "vision",
    "user_data",
)
FINAL = ("completed", "failed", "cancelled")
DAY = 86_400


class RawBytes(bytes):
    """A reply body sent as-is (file content), not as JSON."""


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any] | None:
    """A multipart/form-data body as {field: text, or for files {filename, content_type, data}}; None if broken."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        return None
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[str(name)] = data.decode("utf-8", "replace")
        else:
            fields[str(name)] = {"filename": filename, "content_type": part.get_content_type(), "data": data}
    return fields


def _reply(status: int, body: Any) -> JsonReply:
    return JsonReply(status, body)


def _error(status: int, message: str, param: str | None = None, code: str | None = None) -> JsonReply:
    return _reply(status, error_body(message, type="invalid_request_error", param=param, code=code))


def _not_found(kind: str, object_id: str) -> JsonReply:
    return _error(404, f"No {kind} found with id '{object_id}'.")


@dataclass
class _File:
    public: dict[str, Any]
    data: bytes


@dataclass
class _Attached:
    """One file in one vector store."""

    file_id: str
    store_id: str
    filename: str
    size: int
    created_at: int
    batch_id: str | None = None
    attributes: dict[str, Any] | None = None
    status: str = "in_progress"
    last_error: dict[str, str] | None = None
    polls: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "id": self.file_id,
            "object": "vector_store.file",
            "created_at": self.created_at,
            "vector_store_id": self.store_id,
            "status": self.status,
            "last_error": self.last_error,
            "usage_bytes": self.size if self.status == "completed" else 0,
            "attributes": self.attributes,
            "chunking_strategy": {
                "type": "static",
                "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
            },
        }


@dataclass
class _Store:
    id: str
    created_at: int
    name: str
    metadata: dict[str, str]
    expires_after: dict[str, Any] | None
    last_active_at: int
    files: dict[str, _Attached] = field(default_factory=dict)


@dataclass
class _Batch:
    id: str
    store_id: str
    created_at: int
    file_ids: list[str]
    cancelled: bool = False


def _counts(files: list[_Attached]) -> dict[str, int]:
    counts = {status: 0 for status in ("in_progress", "completed", "failed", "cancelled")}
    for attached in files:
        counts[attached.status] += 1
    return counts | {"total": len(files)}


class FilesApi:
    """Uploaded files, vector stores, their files and batches; scripted per test through this object."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.polls_to_complete = 1
        self._failures: dict[str, dict[str, str]] = {}
        self._refusals: dict[str, tuple[int, str]] = {}
        self._files: dict[str, _File] = {}
        self._stores: dict[str, _Store] = {}
        self._batches: dict[str, _Batch] = {}
        store = r"/vector_stores/(?P<vid>[^/]+)"
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            ("POST", re.compile(r"/files"), self.upload),
            ("GET", re.compile(r"/files"), self.list_files),
            ("GET", re.compile(r"/files/(?P<fid>[^/]+)"), self.get_file),
            ("DELETE", re.compile(r"/files/(?P<fid>[^/]+)"), self.delete_file),
            ("GET", re.compile(r"/files/(?P<fid>[^/]+)/content"), self.file_content),
            ("POST", re.compile(r"/vector_stores"), self.create_store),
            ("GET", re.compile(r"/vector_stores"), self.list_stores),
            ("GET", re.compile(store), self.get_store),
            ("POST", re.compile(store), self.update_store),
            ("DELETE", re.compile(store), self.delete_store),
            ("POST", re.compile(store + r"/files"), self.attach),
            ("GET", re.compile(store + r"/files"), self.list_attached),
            ("GET", re.compile(store + r"/files/(?P<fid>[^/]+)"), self.get_attached),
            ("DELETE", re.compile(store + r"/files/(?P<fid>[^/]+)"), self.detach),
            ("POST", re.compile(store + r"/file_batches"), self.create_batch),
            ("GET", re.compile(store + r"/file_batches/(?P<bid>[^/]+)"), self.get_batch),
            ("POST", re.compile(store + r"/file_batches/(?P<bid>[^/]+)/cancel"), self.cancel_batch),
            ("GET", re.compile(store + r"/file_batches/(?P<bid>[^/]+)/files"), self.list_batch_files),
        ]

    # Scripting, for tests.

    def fail(self, filename: str, message: str, code: str = "invalid_file") -> FilesApi:
        """Processing of files with this name ends `failed` with this `last_error`."""
        with self._lock:
            self._failures[filename] = {"code": code, "message": message}
        return self

    def refuse_upload(self, filename: str, message: str, status: int = 400) -> FilesApi:
        """`POST /v1/files` of a file with this name answers this error."""
        with self._lock:
            self._refusals[filename] = (status, message)
        return self

    def clear(self) -> None:
        """Forget every file, store, batch and script."""
        with self._lock:
            self.polls_to_complete = 1
            self._failures.clear()
            self._refusals.clear()
            self._files.clear()
            self._stores.clear()
            self._batches.clear()

    def filenames(self) -> list[str]:
        """Names of the uploaded files, oldest first."""
        with self._lock:
            return [stored.public["filename"] for stored in self._files.values()]

    # Files.

    def upload(self, body: Any, **_: Any) -> Any:
        if not isinstance(body, dict):
            return _error(400, "The request must be multipart/form-data.")
        upload = body.get("file")
        if not isinstance(upload, dict):
            return _error(400, "Missing required parameter: 'file'.", "file", "missing_required_parameter")
        purpose = body.get("purpose")
        if purpose not in PURPOSES:
            return _error(400, f"Invalid value for 'purpose': {purpose!r}.", "purpose", "invalid_value")
        with self._lock:
            refusal = self._refusals.get(upload["filename"])
            if refusal:
                return _error(refusal[0], refusal[1], "file")
            public = {
                "id": new_id("file"),
                "object": "file",
                "bytes": len(upload["data"]),
                "created_at": int(time.time()),
                "filename": upload["filename"],
                "purpose": purpose,
                "status": "processed",
                "expires_at": None,
                "status_details": None,
            }
            self._files[public["id"]] = _File(public, upload["data"])
            return _reply(200, dict(public))

    def list_files(self, query: dict[str, str], **_: Any) -> Any:
        with self._lock:
            files = [
                dict(f.public)
                for f in self._files.values()
                if not query.get("purpose") or f.public["purpose"] == query["purpose"]
            ]
        return _reply(200, cursor_page(files, query | {"limit": query.get("limit", "100")}))

    def get_file(self, fid: str, **_: Any) -> Any:
        with self._lock:
            stored = self._files.get(fid)
            return _reply(200, dict(stored.public)) if stored else _not_found("file", fid)

    def delete_file(self, fid: str, **_: Any) -> Any:
        with self._lock:
            if self._files.pop(fid, None) is None:
                return _not_found("file", fid)
            for store in self._stores.values():
                store.files.pop(fid, None)
        return _reply(200, {"id": fid, "object": "file", "deleted": True})

    def file_content(self, fid: str, **_: Any) -> Any:
        with self._lock:
            stored = self._files.get(fid)
            if stored is None:
                return _not_found("file", fid)
            if stored.public["purpose"] == "assistants":
                return _error(400, "Not allowed to download files of purpose: assistants.")
            return _reply(200, RawBytes(stored.data))

    # Vector stores.

    def _store_public(self, store: _Store) -> dict[str, Any]:
        files = list(store.files.values())
        expires_at = None
        if store.expires_after:
            expires_at = store.last_active_at + int(store.expires_after["days"]) * DAY
        if expires_at is not None and expires_at <= time.time():
            status = "expired"
        else:
            status = "in_progress" if any(f.status == "in_progress" for f in files) else "completed"
        return {
            "id": store.id,
            "object": "vector_store",
            "created_at": store.created_at,
            "name": store.name,
            "metadata": dict(store.metadata),
            "status": status,
            "file_counts": _counts(files),
            "usage_bytes": sum(f.size for f in files if f.status == "completed"),
            "last_active_at": store.last_active_at,
            "expires_after": store.expires_after,
            "expires_at": expires_at,
        }

    def create_store(self, body: Any, **_: Any) -> Any:
        body = body if isinstance(body, dict) else {}
        now = int(time.time())
        with self._lock:
            store = _Store(
                new_id("vs"),
                now,
                body.get("name") or "",
                dict(body.get("metadata") or {}),
                body.get("expires_after"),
                now,
            )
            self._stores[store.id] = store
            for file_id in body.get("file_ids") or []:
                if file_id not in self._files:
                    del self._stores[store.id]
                    return _not_found("file", file_id)
                self._attach(store, file_id, None, None)
            return _reply(200, self._store_public(store))

    def list_stores(self, query: dict[str, str], **_: Any) -> Any:
        with self._lock:
            stores = [self._store_public(store) for store in self._stores.values()]
        return _reply(200, cursor_page(stores, query))

    def get_store(self, vid: str, **_: Any) -> Any:
        with self._lock:
            store = self._stores.get(vid)
            return _reply(200, self._store_public(store)) if store else _not_found("vector store", vid)

    def update_store(self, vid: str, body: Any, **_: Any) -> Any:
        body = body if isinstance(body, dict) else {}
        with self._lock:
            store = self._stores.get(vid)
            if store is None:
                return _not_found("vector store", vid)
            if body.get("name") is not None:
                store.name = body["name"]
            if "expires_after" in body:
                store.expires_after = body["expires_after"]
            if body.get("metadata") is not None:
                store.metadata = dict(body["metadata"])
            store.last_active_at = int(time.time())
            return _reply(200, self._store_public(store))

    def delete_store(self, vid: str, **_: Any) -> Any:
        with self._lock:
            if self._stores.pop(vid, None) is None:
                return _not_found("vector store", vid)
        return _reply(200, {"id": vid, "object": "vector_store.deleted", "deleted": True})

    # Files in a store.

    def _attach(self, store: _Store, file_id: str, batch_id: str | None, attributes: dict[str, Any] | None) -> None:
        stored = self._files[file_id]
        attached = _Attached(
            file_id, store.id, stored.public["filename"], len(stored.data), int(time.time()), batch_id, attributes
        )
        store.files[file_id] = attached
        store.last_active_at = attached.created_at
        if self.polls_to_complete <= 0:
            self._finish(attached)

    def _finish(self, attached: _Attached) -> None:
        failure = self._failures.get(attached.filename)
        attached.status = "failed" if failure else "completed"
        attached.last_error = dict(failure) if failure else None

    def _observe(self, attached: _Attached) -> dict[str, Any]:
        """One poll of a file: it moves on once it has been seen `polls_to_complete` times."""
        if attached.status == "in_progress":
            attached.polls += 1
            if attached.polls >= self.polls_to_complete:
                self._finish(attached)
        return attached.public()

    def _store_or_404(self, vid: str) -> tuple[_Store | None, Any]:
        store = self._stores.get(vid)
        return store, (None if store else _not_found("vector store", vid))

    def attach(self, vid: str, body: Any, **_: Any) -> Any:
        body = body if isinstance(body, dict) else {}
        with self._lock:
            store, missing = self._store_or_404(vid)
            if store is None:
                return missing
            file_id = body.get("file_id")
            if not file_id:
                return _error(400, "Missing required parameter: 'file_id'.", "file_id", "missing_required_parameter")
            if file_id not in self._files:
                return _not_found("file", file_id)
            self._attach(store, file_id, None, body.get("attributes"))
            return _reply(200, store.files[file_id].public())

    def list_attached(self, vid: str, query: dict[str, str], **_: Any) -> Any:
        with self._lock:
            store, missing = self._store_or_404(vid)
            if store is None:
                return missing
            return _reply(200, self._page(list(store.files.values()), query))

    def _page(self, files: list[_Attached], query: dict[str, str]) -> dict[str, Any]:
        shown = [self._observe(attached) for attached in files]
        if query.get("filter"):
            shown = [item for item in shown if item["status"] == query["filter"]]
        return cursor_page(shown, query)

    def get_attached(self, vid: str, fid: str, **_: Any) -> Any:
        with self._lock:
            store, missing = self._store_or_404(vid)
            if store is None:
                return missing
            attached = store.files.get(fid)
            return _reply(200, self._observe(attached)) if attached else _not_found("file", fid)

    def detach(self, vid: str, fid: str, **_: Any) -> Any:
        with self._lock:
            store, missing = self._store_or_404(vid)
            if store is None:
                return missing
            if store.files.pop(fid, None) is None:
                return _not_found("file", fid)
        return _reply(200, {"id": fid, "object": "vector_store.file.deleted", "deleted": True})

    # Batches.

    def _batch_public(self, batch: _Batch, store: _Store) -> dict[str, Any]:
        files = [store.files[fid] for fid in batch.file_ids if fid in store.files]
        counts = _counts(files)
        if counts["in_progress"]:
            status = "in_progress"
        else:
            status = "cancelled" if batch.cancelled else "completed"
        return {
            "id": batch.id,
            "object": "vector_store.files_batch",
            "created_at": batch.created_at,
            "vector_store_id": store.id,
            "status": status,
            "file_counts": counts,
        }

    def create_batch(self, vid: str, body: Any, **_: Any) -> Any:
        body = body if isinstance(body, dict) else {}
        entries = [{"file_id": fid} for fid in body.get("file_ids") or []] + list(body.get("files") or [])
        if not entries:
            return _error(400, "Missing required parameter: 'file_ids'.", "file_ids", "missing_required_parameter")
        with self._lock:
            store, missing = self._store_or_404(vid)
            if store is None:
                return missing
            unknown = [entry["file_id"] for entry in entries if entry.get("file_id") not in self._files]
            if unknown:
                return _not_found("file", unknown[0])
            batch = _Batch(new_id("vsfb"), vid, int(time.time()), [entry["file_id"] for entry in entries])
            self._batches[batch.id] = batch
            for entry in entries:
                self._attach(store, entry["file_id"], batch.id, entry.get("attributes") or body.get("attributes"))
            return _reply(200, self._batch_public(batch, store))

    def _batch_or_404(self, vid: str, bid: str) -> tuple[_Batch | None, _Store | None, Any]:
        store, missing = self._store_or_404(vid)
        if store is None:
            return None, None, missing
        batch = self._batches.get(bid)
        if batch is None or batch.store_id != vid:
            return None, store, _not_found("file batch", bid)
        return batch, store, None

    def get_batch(self, vid: str, bid: str, **_: Any) -> Any:
        with self._lock:
            batch, store, missing = self._batch_or_404(vid, bid)
            if batch is None or store is None:
                return missing
            for fid in batch.file_ids:
                if fid in store.files:
                    self._observe(store.files[fid])
            return _reply(200, self._batch_public(batch, store))

    def cancel_batch(self, vid: str, bid: str, **_: Any) -> Any:
        with self._lock:
            batch, store, missing = self._batch_or_404(vid, bid)
            if batch is None or store is None:
                return missing
            batch.cancelled = True
            for fid in batch.file_ids:
                attached = store.files.get(fid)
                if attached and attached.status == "in_progress":
                    attached.status = "cancelled"
            return _reply(200, self._batch_public(batch, store))

    def list_batch_files(self, vid: str, bid: str, query: dict[str, str], **_: Any) -> Any:
        with self._lock:
            batch, store, missing = self._batch_or_404(vid, bid)
            if batch is None or store is None:
                return missing
            files = [store.files[fid] for fid in batch.file_ids if fid in store.files]
            return _reply(200, self._page(files, query))
