"""lib.files and lib.attachments through the real SDK against the double's Files and Vector Stores API."""

from __future__ import annotations

import base64
import time

import pytest
from openai import OpenAI
from openai.types import FileDeleted, FileObject, VectorStore, VectorStoreDeleted
from openai.types.vector_stores import VectorStoreFile, VectorStoreFileBatch, VectorStoreFileDeleted
from pydantic import TypeAdapter

from lib import files
from lib.attachments import ChatFile, chat_file_types, image_urls, prepare
from lib.files import FileRow, Upload
from tests.fake_openai import FakeOpenAI

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
THREE = [Upload("a.md", b"# A\nalpha"), Upload("b.txt", b"bravo"), Upload("bad.pdf", b"%PDF-1.4 broken")]


def client_for(fake: FakeOpenAI) -> OpenAI:
    return OpenAI(base_url=fake.base_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> OpenAI:
    return client_for(fake_openai)


def wait_until_final(client: OpenAI, store_id: str, rows: list[FileRow], timeout: float = 30.0) -> list[FileRow]:
    """Refresh until no row may change any more, as the Files page's polling fragment does."""
    deadline = time.monotonic() + timeout
    while files.in_progress(rows) and time.monotonic() < deadline:
        time.sleep(0.01)
        rows = files.refresh(client, store_id, rows)
    return rows


def statuses(rows: list[FileRow]) -> dict[str, tuple[str, str]]:
    return {row.name: (row.status, row.error) for row in rows}


def test_three_uploads_reach_completed(fake_openai: FakeOpenAI, client: OpenAI) -> None:
    fake_openai.files.polls_to_complete = 2
    store = files.create_store(client, "docs")
    seen: list[tuple[int, int]] = []
    rows = files.upload_files(client, store.id, THREE, on_progress=lambda done, total, row: seen.append((done, total)))
    assert [row.status for row in rows] == ["in_progress"] * 3
    assert len({row.batch_id for row in rows}) == 1 and all(row.file_id.startswith("file_") for row in rows)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    rows = files.refresh(client, store.id, rows)
    assert files.in_progress(rows)
    rows = files.refresh(client, store.id, rows)
    assert [row.status for row in rows] == ["completed"] * 3 and not files.in_progress(rows)
    (listed,) = files.list_stores(client)
    assert (listed.files, listed.status, listed.usage_bytes) == (3, "completed", sum(len(u.data) for u in THREE))


def test_scripted_failure_lands_on_its_row_and_the_others_complete(fake_openai: FakeOpenAI, client: OpenAI) -> None:
    fake_openai.files.fail("bad.pdf", "The file could not be parsed.")
    store = files.create_store(client, "docs")
    rows = wait_until_final(client, store.id, files.upload_files(client, store.id, THREE))
    assert statuses(rows) == {
        "a.md": ("completed", ""),
        "b.txt": ("completed", ""),
        "bad.pdf": ("failed", "The file could not be parsed."),
    }
    shown = {row.name: row for row in files.store_files(client, store.id)}
    assert shown["bad.pdf"].error == "The file could not be parsed." and shown["a.md"].size == len(THREE[0].data)


def test_refused_upload_fails_only_its_row(fake_openai: FakeOpenAI, client: OpenAI) -> None:
    fake_openai.files.refuse_upload("b.txt", "File type not allowed here.")
    store = files.create_store(client, "docs")
    rows = files.upload_files(client, store.id, THREE)
    assert rows[1].status == "failed" and "File type not allowed here" in rows[1].error and not rows[1].file_id
    assert [rows[0].status, rows[2].status] == ["in_progress", "in_progress"]
    batch = [r.body for r in fake_openai.requests if r.path.endswith("/file_batches")][0]
    assert batch["file_ids"] == [rows[0].file_id, rows[2].file_id]


def test_batch_refused_fails_every_uploaded_row(client: OpenAI) -> None:
    rows = files.upload_files(client, "vs_missing", THREE[:2])
    assert [row.status for row in rows] == ["failed", "failed"]
    assert rows[0].error.startswith("Uploaded, but not added to the store: Not found (404)")


def test_unsupported_and_oversized_files_are_refused_before_any_request(
    fake_openai: FakeOpenAI, client: OpenAI
) -> None:
    picked = [
        Upload("setup.exe", b"MZ"),
        Upload("huge.pdf", b"x" * 2048),
        Upload("README", b"hi"),
        Upload("empty.txt", b""),
    ]
    rows = files.upload_files(client, "vs_any", picked, max_bytes=1024)
    assert [row.status for row in rows] == ["rejected"] * 4
    assert rows[0].error.startswith(".exe files are not supported by file search")
    assert rows[1].error == "Too large: 2.0 KB; the limit is 1.0 KB."
    assert rows[2].error.startswith("Files without an extension are not supported")
    assert rows[3].error == "The file is empty."
    assert fake_openai.requests == []


def test_size_limit_is_the_smaller_of_api_and_streamlit() -> None:
    assert files.max_upload_bytes(50) == 50 * files.MB
    assert files.max_upload_bytes(2000) == files.API_MAX_BYTES == files.max_upload_bytes(None)


def test_duplicate_names_are_allowed_but_flagged(client: OpenAI) -> None:
    store = files.create_store(client, "docs")
    rows = files.upload_files(
        client, store.id, [Upload("a.md", b"1"), Upload("a.md", b"2"), Upload("b.md", b"3")], existing_names=["b.md"]
    )
    assert [(row.status, row.duplicate) for row in rows] == [("in_progress", True)] * 3
    assert files.check([Upload("c.md", b"x")]) == [FileRow("c.md", 1, "pending")]


def test_create_with_expiry_rename_and_delete(fake_openai: FakeOpenAI, client: OpenAI) -> None:
    store = files.create_store(client, "notes", expires_days=7)
    assert store.expires_days == 7 and store.expires_at is not None
    keep = files.create_store(client, "keep")
    assert files.rename_store(client, store.id, "Team notes").name == "Team notes"
    assert [s.name for s in files.list_stores(client)] == ["keep", "Team notes"]
    assert files.delete_store(client, store.id)
    assert [s.id for s in files.list_stores(client)] == [keep.id]


def test_remove_file_and_optionally_delete_it(client: OpenAI) -> None:
    store = files.create_store(client, "docs")
    rows = wait_until_final(client, store.id, files.upload_files(client, store.id, THREE[:2]))
    files.remove_file(client, store.id, rows[0].file_id)
    files.remove_file(client, store.id, rows[1].file_id, delete_file=True)
    assert files.store_files(client, store.id) == []
    assert [f.id for f in client.files.list()] == [rows[0].file_id]


def test_cancel_marks_files_still_in_progress(fake_openai: FakeOpenAI, client: OpenAI) -> None:
    fake_openai.files.polls_to_complete = 5
    store = files.create_store(client, "docs")
    rows = files.cancel(client, store.id, files.upload_files(client, store.id, THREE[:2]))
    assert [row.status for row in rows] == ["cancelled", "cancelled"]


def test_sdk_poll_helpers_work_against_the_double(fake_openai: FakeOpenAI, client: OpenAI) -> None:
    fake_openai.files.polls_to_complete = 3
    store = client.vector_stores.create(name="sdk")
    uploaded = client.files.create(file=("résumé.md", "Ça marche".encode()), purpose="assistants")
    assert uploaded.filename == "résumé.md" and uploaded.bytes == len("Ça marche".encode())
    batch = client.vector_stores.file_batches.create_and_poll(store.id, file_ids=[uploaded.id], poll_interval_ms=1)
    assert batch.status == "completed" and batch.file_counts.completed == 1
    fake_openai.files.fail("x.txt", "Nothing to index.", code="unsupported_file")
    failed = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=("x.txt", b"x"), poll_interval_ms=1
    )
    assert failed.status == "failed" and failed.last_error.code == "unsupported_file"


def test_double_replies_validate_against_the_sdk_types(client: OpenAI) -> None:
    def check(model: type, raw) -> None:  # noqa: ANN001
        body = raw.http_response.json()
        for item in body["data"] if body.get("object") == "list" else [body]:
            TypeAdapter(model).validate_python(item, strict=False)
            assert set(item) <= set(model.model_fields), set(item) - set(model.model_fields)

    store = client.vector_stores.with_raw_response.create(
        name="v", expires_after={"anchor": "last_active_at", "days": 1}
    )
    vid = store.parse().id
    upload = client.files.with_raw_response.create(file=("v.md", b"v"), purpose="assistants")
    fid = upload.parse().id
    batch = client.vector_stores.file_batches.with_raw_response.create(vid, file_ids=[fid])
    bid = batch.parse().id
    for model, raw in [
        (VectorStore, store),
        (FileObject, upload),
        (VectorStoreFileBatch, batch),
        (VectorStore, client.vector_stores.with_raw_response.list()),
        (VectorStore, client.vector_stores.with_raw_response.update(vid, name="w")),
        (FileObject, client.files.with_raw_response.list()),
        (FileObject, client.files.with_raw_response.retrieve(fid)),
        (VectorStoreFile, client.vector_stores.files.with_raw_response.list(vid)),
        (VectorStoreFile, client.vector_stores.files.with_raw_response.retrieve(fid, vector_store_id=vid)),
        (VectorStoreFile, client.vector_stores.file_batches.with_raw_response.list_files(bid, vector_store_id=vid)),
        (VectorStoreFileBatch, client.vector_stores.file_batches.with_raw_response.retrieve(bid, vector_store_id=vid)),
        (VectorStoreFileBatch, client.vector_stores.file_batches.with_raw_response.cancel(bid, vector_store_id=vid)),
        (VectorStoreFileDeleted, client.vector_stores.files.with_raw_response.delete(fid, vector_store_id=vid)),
        (FileDeleted, client.files.with_raw_response.delete(fid)),
        (VectorStoreDeleted, client.vector_stores.with_raw_response.delete(vid)),
    ]:
        check(model, raw)


def test_missing_objects_answer_404(client: OpenAI) -> None:
    import openai

    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve("vs_nope")
    with pytest.raises(openai.NotFoundError):
        client.files.delete("file_nope")
    with pytest.raises(openai.BadRequestError):
        client.files.content(client.files.create(file=("a.md", b"a"), purpose="assistants").id)


# Attachments: chat files -> content parts.


def test_png_becomes_an_inline_input_image() -> None:
    prepared = prepare("What is this?", [ChatFile("dot.png", "image/png", PNG)])
    assert prepared.parts == [
        {"type": "input_text", "text": "What is this?"},
        {
            "type": "input_image",
            "image_url": "data:image/png;base64," + base64.b64encode(PNG).decode(),
            "detail": "auto",
        },
    ]
    assert prepared.images == [ChatFile("dot.png", "image/png", PNG)] and prepared.has_media


def test_pdf_becomes_an_input_file() -> None:
    (_, part) = prepare("Summarise", [ChatFile("paper.pdf", "application/pdf", b"%PDF-1.7")]).parts
    assert part == {
        "type": "input_file",
        "filename": "paper.pdf",
        "file_data": "data:application/pdf;base64," + base64.b64encode(b"%PDF-1.7").decode(),
    }


def test_image_url_in_the_text_becomes_an_input_image_by_url() -> None:
    text = "Compare https://example.com/cat.JPG and (https://example.com/dog.webp?size=2). See https://example.com/x"
    parts = prepare(text).parts
    assert parts[1:] == [
        {"type": "input_image", "image_url": "https://example.com/cat.JPG", "detail": "auto"},
        {"type": "input_image", "image_url": "https://example.com/dog.webp?size=2", "detail": "auto"},
    ]
    assert image_urls("no images at https://example.com/page.html.") == []


def test_large_image_goes_by_file_id_through_the_uploader(fake_openai: FakeOpenAI, client: OpenAI) -> None:
    prepared = prepare(
        "", [ChatFile("big.jpg", "image/jpeg", PNG)], upload_image=files.vision_uploader(client), inline_limit=10
    )
    (part,) = prepared.parts
    assert part["type"] == "input_image" and part["file_id"].startswith("file_")
    assert client.files.retrieve(part["file_id"]).purpose == "vision"


def test_documents_are_offered_for_indexing_and_others_refused() -> None:
    notes, binary = ChatFile("notes.md", "text/markdown", b"# n"), ChatFile("app.exe", "application/x-msdos", b"MZ")
    prepared = prepare("hi", [notes, binary])
    assert prepared.parts == [{"type": "input_text", "text": "hi"}] and not prepared.has_media
    assert prepared.to_index == [notes] and prepared.refused == [(binary, "The model cannot read .exe files.")]


def test_chat_file_types_cover_images_pdfs_and_documents() -> None:
    types = chat_file_types()
    assert {"png", "jpg", "jpeg", "gif", "webp", "pdf", "md", "docx"} <= set(types) and "exe" not in types


def test_a_message_with_a_png_reaches_the_responses_api(fake_openai: FakeOpenAI, client: OpenAI) -> None:
    prepared = prepare("Describe", [ChatFile("dot.png", "image/png", PNG)])
    client.responses.create(model="gpt-5-mini", input=[{"role": "user", "content": prepared.parts}])
    (body,) = fake_openai.response_requests()
    assert [part["type"] for part in body["input"][0]["content"]] == ["input_text", "input_image"]


def test_store_deleted_while_indexing_fails_its_rows(fake_openai: FakeOpenAI, client: OpenAI) -> None:
    fake_openai.files.polls_to_complete = 5
    store = files.create_store(client, "docs")
    rows = files.upload_files(client, store.id, THREE[:1])
    files.delete_store(client, store.id)
    (row,) = files.refresh(client, store.id, rows)
    assert row.status == "failed" and row.error.startswith("Not found (404)")
