"""The Containers file endpoints of the double: files the code interpreter wrote, scripted per test.

A test puts a file with `fake.containers.put(container_id, file_id, filename, data)`; the app then fetches
it as `client.containers.files.content.retrieve(file_id, container_id=...)`, as it would from a real run.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from .api import JsonReply, error
from .files_api import RawBytes


class ContainersApi:
    """Files inside code-interpreter containers: metadata and content."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[tuple[str, str], tuple[dict[str, Any], bytes]] = {}
        files = r"/containers/(?P<cid>[^/]+)/files/(?P<fid>[^/]+)"
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            ("GET", re.compile(files), self.get_file),
            ("GET", re.compile(files + r"/content"), self.file_content),
        ]

    def put(self, container_id: str, file_id: str, filename: str, data: bytes) -> ContainersApi:
        """A file the code interpreter wrote at /mnt/data/<filename> in this container."""
        public = {
            "id": file_id,
            "object": "container.file",
            "container_id": container_id,
            "bytes": len(data),
            "created_at": int(time.time()),
            "path": f"/mnt/data/{filename}",
            "source": "assistant",
        }
        with self._lock:
            self._files[(container_id, file_id)] = (public, data)
        return self

    def clear(self) -> None:
        """Forget every container file."""
        with self._lock:
            self._files.clear()

    def _find(self, cid: str, fid: str) -> tuple[dict[str, Any], bytes] | None:
        with self._lock:
            return self._files.get((cid, fid))

    def get_file(self, cid: str, fid: str, **_: Any) -> Any:
        found = self._find(cid, fid)
        # Message not checked against the live API; the 404 is.
        return JsonReply(200, dict(found[0])) if found else error(404, f"No file found with id '{fid}'.")

    def file_content(self, cid: str, fid: str, **_: Any) -> Any:
        found = self._find(cid, fid)
        return JsonReply(200, RawBytes(found[1])) if found else error(404, f"No file found with id '{fid}'.")
