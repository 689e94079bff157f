"""Files API and vector stores: check, upload, index, poll status, list, rename, delete."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import Any

import openai
from openai import OpenAI
from openai.types import VectorStore

from lib.errors import explain
from lib.ownership import Owned, visible

MB = 1024 * 1024
API_MAX_BYTES = 512 * MB  # the Files API's per-file limit
# The extensions file search reads (platform docs, "Supported files").
FILE_SEARCH_EXTENSIONS = frozenset(
    {
        "c",
        "cpp",
        "cs",
        "css",
        "doc",
        "docx",
        "go",
        "html",
        "java",
        "js",
        "json",
        "md",
        "pdf",
        "php",
        "pptx",
        "py",
        "rb",
        "sh",
        "tex",
        "ts",
        "txt",
    }
)
# A row's status: the API's four, plus two of ours for files that never reached a store.
PENDING, REJECTED = "pending", "rejected"
# A file row that will not change any more: indexed, failed, cancelled, or refused before upload.
SETTLED_FILE_STATUSES = frozenset({"completed", "failed", "cancelled", REJECTED})
UPLOAD_WORKERS = 4


@dataclass(frozen=True)
class Upload:
    """One file the user picked: its name and bytes."""

    name: str
    data: bytes

    @classmethod
    def of(cls, uploaded: Any) -> Upload:
        """From anything with `.name` and `.getvalue()`, such as Streamlit's UploadedFile."""
        return cls(uploaded.name, uploaded.getvalue())


@dataclass(frozen=True)
class FileRow:
    """One file's way into a vector store, as the status table shows it."""

    name: str
    size: int
    status: str
    error: str = ""
    file_id: str = ""
    batch_id: str = ""
    duplicate: bool = False

    @property
    def final(self) -> bool:
        """True when the status will not change any more."""
        return self.status in SETTLED_FILE_STATUSES


@dataclass(frozen=True)
class StoreRow:
    """A vector store as the stores table shows it."""

    id: str
    name: str
    files: int
    in_progress: int
    failed: int
    usage_bytes: int
    status: str
    expires_at: int | None
    expires_days: int | None

    @classmethod
    def of(cls, store: VectorStore) -> StoreRow:
        counts = store.file_counts
        days = store.expires_after.days if store.expires_after else None
        return cls(
            store.id,
            store.name or "",
            counts.total,
            counts.in_progress,
            counts.failed,
            store.usage_bytes,
            store.status,
            store.expires_at,
            days,
        )

    @property
    def label(self) -> str:
        """The store's name, or its id when it has none."""
        return self.name or self.id


def human_bytes(size: int) -> str:
    """1536 -> '1.5 KB'."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def extension(name: str) -> str:
    """'Report.PDF' -> 'pdf'; '' when there is none."""
    return PurePath(name).suffix.lower().lstrip(".")


def max_upload_bytes(streamlit_limit_mb: float | None = None) -> int:
    """The smaller of the API's limit and Streamlit's `server.maxUploadSize` (in MB)."""
    if not streamlit_limit_mb:
        return API_MAX_BYTES
    return min(API_MAX_BYTES, int(streamlit_limit_mb * MB))


def rejection(upload: Upload, max_bytes: int = API_MAX_BYTES) -> str:
    """Why this file cannot go into a vector store, or '' when it can."""
    ext = extension(upload.name)
    if ext not in FILE_SEARCH_EXTENSIONS:
        kind = f".{ext} files" if ext else "Files without an extension"
        return f"{kind} are not supported by file search (it reads {', '.join(sorted(FILE_SEARCH_EXTENSIONS))})."
    if len(upload.data) > max_bytes:
        return f"Too large: {human_bytes(len(upload.data))}; the limit is {human_bytes(max_bytes)}."
    if not upload.data:
        return "The file is empty."
    return ""


def check(
    uploads: Sequence[Upload], max_bytes: int = API_MAX_BYTES, existing_names: Collection[str] = ()
) -> list[FileRow]:
    """One row per upload: `pending`, or `rejected` with its reason; repeated names are flagged, not refused."""
    seen = Counter(upload.name for upload in uploads)
    rows = []
    for upload in uploads:
        reason = rejection(upload, max_bytes)
        duplicate = seen[upload.name] > 1 or upload.name in existing_names
        rows.append(
            FileRow(upload.name, len(upload.data), REJECTED if reason else PENDING, reason, duplicate=duplicate)
        )
    return rows


def _upload_one(client: OpenAI, upload: Upload) -> str:
    return client.files.create(file=(upload.name, upload.data), purpose="assistants").id


def upload_files(
    client: OpenAI,
    store_id: str,
    uploads: Sequence[Upload],
    *,
    max_bytes: int = API_MAX_BYTES,
    existing_names: Collection[str] = (),
    on_progress: Callable[[int, int, FileRow], None] | None = None,
) -> list[FileRow]:
    """Check, upload (concurrently) and add to the store as one file batch; one row per upload, in order.

    The SDK's `file_batches.upload_and_poll` raises on the first failed upload and blocks until indexing ends;
    here a failed upload only fails its own row, and the caller polls with `refresh` while it draws the table.
    """
    rows = check(uploads, max_bytes, existing_names)
    todo = [index for index, row in enumerate(rows) if row.status == PENDING]
    if not todo:
        return rows
    with ThreadPoolExecutor(max_workers=min(UPLOAD_WORKERS, len(todo))) as pool:
        futures = {pool.submit(_upload_one, client, uploads[index]): index for index in todo}
        for done, future in enumerate(as_completed(futures), start=1):
            index = futures[future]
            try:
                rows[index] = replace(rows[index], file_id=future.result())
            except openai.APIError as error:
                rows[index] = replace(rows[index], status="failed", error=explain(error))
            if on_progress is not None:
                on_progress(done, len(todo), rows[index])
    uploaded = [index for index in todo if rows[index].file_id]
    if not uploaded:
        return rows
    try:
        batch = client.vector_stores.file_batches.create(store_id, file_ids=[rows[i].file_id for i in uploaded])
    except openai.APIError as error:
        message = f"Uploaded, but not added to the store: {explain(error)}"
        for index in uploaded:
            rows[index] = replace(rows[index], status="failed", error=message)
        return rows
    for index in uploaded:
        rows[index] = replace(rows[index], status="in_progress", batch_id=batch.id)
    return rows


def refresh(client: OpenAI, store_id: str, rows: Sequence[FileRow]) -> list[FileRow]:
    """Rows with the API's current status of every file still in progress (one listing per batch)."""
    batch_ids = {row.batch_id for row in rows if row.status == "in_progress" and row.batch_id}
    found: dict[str, Any] = {}
    gone: dict[str, str] = {}
    for batch_id in sorted(batch_ids):
        try:
            for vs_file in client.vector_stores.file_batches.list_files(batch_id, vector_store_id=store_id, limit=100):
                found[vs_file.id] = vs_file
        except openai.NotFoundError as error:
            gone[batch_id] = explain(error)
    updated = []
    for row in rows:
        if row.file_id in found and row.status == "in_progress":
            vs_file = found[row.file_id]
            problem = vs_file.last_error.message if vs_file.last_error else ""
            row = replace(row, status=vs_file.status, error=problem)
        elif row.status == "in_progress" and row.batch_id in gone:
            row = replace(row, status="failed", error=gone[row.batch_id])
        updated.append(row)
    return updated


def in_progress(rows: Iterable[FileRow]) -> bool:
    """True while any row may still change."""
    return any(not row.final for row in rows)


def cancel(client: OpenAI, store_id: str, rows: Sequence[FileRow]) -> list[FileRow]:
    """Cancel the batches still in progress, then show where each file ended."""
    for batch_id in sorted({row.batch_id for row in rows if row.status == "in_progress" and row.batch_id}):
        client.vector_stores.file_batches.cancel(batch_id, vector_store_id=store_id)
    cancelled = client.vector_stores.files.list(store_id, filter="cancelled", limit=100)
    ids = {vs_file.id for vs_file in cancelled}
    return [replace(row, status="cancelled") if row.file_id in ids else row for row in rows]


def list_stores(client: OpenAI, owned: Owned = None) -> list[StoreRow]:
    """The vector stores the key can see that are the session's (`owned`; None: all), newest first."""
    # Iterating the page follows the cursor, so a store of this person's is found past the first 100.
    every = (StoreRow.of(store) for store in client.vector_stores.list(limit=100, order="desc"))
    return visible(every, owned, lambda row: row.id)


def create_store(
    client: OpenAI, name: str, expires_days: int | None = None, metadata: dict[str, str] | None = None
) -> StoreRow:
    """A new, empty store; with `expires_days`, it expires that long after its last use."""
    extra: dict[str, Any] = {"metadata": metadata} if metadata else {}
    if expires_days:
        extra["expires_after"] = {"anchor": "last_active_at", "days": int(expires_days)}
    return StoreRow.of(client.vector_stores.create(name=name, **extra))


def rename_store(client: OpenAI, store_id: str, name: str) -> StoreRow:
    """Give a store a new name."""
    return StoreRow.of(client.vector_stores.update(store_id, name=name))


def delete_store(client: OpenAI, store_id: str) -> bool:
    """Delete a store (its files stay in the Files API)."""
    return client.vector_stores.delete(store_id).deleted


def store_files(client: OpenAI, store_id: str) -> list[FileRow]:
    """The files of one store with their names, sizes and status, newest first."""
    attached = list(client.vector_stores.files.list(store_id, limit=100, order="desc"))
    if not attached:
        return []
    # The key's file list holds every person's files: only those attached to this store are named.
    wanted = {vs_file.id for vs_file in attached}
    known = {f.id: f for f in client.files.list(purpose="assistants", limit=10_000) if f.id in wanted}
    rows = []
    for vs_file in attached:
        info = known.get(vs_file.id)
        rows.append(
            FileRow(
                info.filename if info else vs_file.id,
                info.bytes if info else vs_file.usage_bytes,
                vs_file.status,
                vs_file.last_error.message if vs_file.last_error else "",
                file_id=vs_file.id,
            )
        )
    counts = Counter(row.name for row in rows)
    return [replace(row, duplicate=counts[row.name] > 1) for row in rows]


def remove_file(client: OpenAI, store_id: str, file_id: str, delete_file: bool = False) -> None:
    """Take a file out of a store; with `delete_file`, delete the uploaded file itself too."""
    client.vector_stores.files.delete(file_id, vector_store_id=store_id)
    if delete_file:
        client.files.delete(file_id)


def vision_uploader(client: OpenAI) -> Callable[[str, bytes, str], str]:
    """A function that uploads an image for vision input and returns its file id (see lib.attachments)."""

    def upload(name: str, data: bytes, mime_type: str) -> str:
        return client.files.create(file=(name, data, mime_type), purpose="vision").id

    return upload
