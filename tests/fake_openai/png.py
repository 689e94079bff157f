"""Tiny valid PNG images for image-generation scripts."""

from __future__ import annotations

import base64
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC over type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def tiny_png(color: tuple[int, int, int] = (255, 0, 0), size: int = 2) -> bytes:
    """A `size` x `size` RGB PNG of one colour."""
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    # Each scanline starts with filter type 0 (none).
    rows = b"".join(b"\x00" + bytes(color) * size for _ in range(size))
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


def tiny_png_b64(color: tuple[int, int, int] = (255, 0, 0), size: int = 2) -> str:
    """`tiny_png` as the base64 text the API puts in image results."""
    return base64.b64encode(tiny_png(color, size)).decode()
