"""Files dropped into the chat -> Responses input content parts (pure: no Streamlit, no network)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lib.files import FILE_SEARCH_EXTENSIONS, MB, extension

# The image formats vision models take, by extension, with the MIME type their data URL carries.
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
PDF = "pdf"
# Larger images go by file id (uploaded with purpose "vision"), keeping the request body small.
INLINE_IMAGE_LIMIT = 5 * MB
URL = re.compile(r"https?://[^\s<>()\[\]\"']+", re.IGNORECASE)

# (name, data, mime type) -> file id; see lib.files.vision_uploader.
ImageUploader = Callable[[str, bytes, str], str]


@dataclass(frozen=True)
class ChatFile:
    """One file attached to a chat message."""

    name: str
    mime_type: str
    data: bytes = field(repr=False)

    @classmethod
    def of(cls, uploaded: Any) -> ChatFile:
        """From anything with `.name`, `.type` and `.getvalue()`, such as Streamlit's UploadedFile."""
        return cls(uploaded.name, uploaded.type or "", uploaded.getvalue())

    @property
    def image_mime(self) -> str:
        """The image MIME type the model is sent, or '' when this is not an image it takes."""
        by_name = IMAGE_TYPES.get(extension(self.name))
        if by_name:
            return by_name
        return self.mime_type if self.mime_type in IMAGE_TYPES.values() else ""

    @property
    def is_pdf(self) -> bool:
        return extension(self.name) == PDF or self.mime_type == "application/pdf"


@dataclass(frozen=True)
class Prepared:
    """A user message's content parts, and the attachments that cannot go in it."""

    parts: list[dict[str, Any]]
    images: list[ChatFile]  # attached images, in order: thumbnails for the message bubble
    to_index: list[ChatFile]  # documents to offer for the active vector store instead
    refused: list[tuple[ChatFile, str]]  # (file, reason) for anything else

    @property
    def has_media(self) -> bool:
        """True when the message carries more than text."""
        return any(part["type"] != "input_text" for part in self.parts)


def chat_file_types() -> list[str]:
    """Extensions for `st.chat_input(accept_file="multiple", file_type=...)`: images, PDFs, indexable documents."""
    return sorted(set(IMAGE_TYPES) | {PDF} | FILE_SEARCH_EXTENSIONS)


def data_url(mime_type: str, data: bytes) -> str:
    """`data:<mime>;base64,<data>`."""
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def image_urls(text: str) -> list[str]:
    """http(s) URLs in the text that name an image (png, jpg, jpeg, gif, webp), in order, once each."""
    found = (url.rstrip(".,;:!?") for url in URL.findall(text or ""))
    return list(dict.fromkeys(url for url in found if extension(urlsplit(url).path) in IMAGE_TYPES))


def image_part(
    file: ChatFile, upload_image: ImageUploader | None = None, inline_limit: int = INLINE_IMAGE_LIMIT
) -> dict[str, Any]:
    """An `input_image` part: inline as a data URL, or by file id when large and an uploader is given."""
    mime = file.image_mime
    if upload_image is not None and len(file.data) > inline_limit:
        return {"type": "input_image", "file_id": upload_image(file.name, file.data, mime), "detail": "auto"}
    return {"type": "input_image", "image_url": data_url(mime, file.data), "detail": "auto"}


def pdf_part(file: ChatFile) -> dict[str, Any]:
    """An `input_file` part carrying the PDF inline."""
    return {"type": "input_file", "filename": file.name, "file_data": data_url("application/pdf", file.data)}


def prepare(
    text: str,
    files: Sequence[ChatFile] = (),
    *,
    upload_image: ImageUploader | None = None,
    inline_limit: int = INLINE_IMAGE_LIMIT,
) -> Prepared:
    """The content parts of one user message: its text, attached images and PDFs, then images linked in the text."""
    parts: list[dict[str, Any]] = [{"type": "input_text", "text": text}] if text else []
    images: list[ChatFile] = []
    to_index: list[ChatFile] = []
    refused: list[tuple[ChatFile, str]] = []
    for file in files:
        if file.image_mime:
            parts.append(image_part(file, upload_image, inline_limit))
            images.append(file)
        elif file.is_pdf:
            parts.append(pdf_part(file))
        elif extension(file.name) in FILE_SEARCH_EXTENSIONS:
            to_index.append(file)
        else:
            refused.append((file, f"The model cannot read .{extension(file.name) or '?'} files."))
    parts.extend({"type": "input_image", "image_url": url, "detail": "auto"} for url in image_urls(text))
    return Prepared(parts, images, to_index, refused)
