"""Outside text (model, user, web) for st.markdown: made safe, with the image hosts the owner allows."""

from __future__ import annotations

import os

import streamlit as st

from lib.markup import allowed_hosts, rewrite_markdown, safe_markdown
from lib.settings import secrets_dict


def image_hosts() -> frozenset[str]:
    """ALLOWED_IMAGE_HOSTS from secrets, else the environment: hosts whose images may load by themselves."""
    raw = secrets_dict(lambda: st.secrets).get("ALLOWED_IMAGE_HOSTS") or os.environ.get("ALLOWED_IMAGE_HOSTS", "")
    return allowed_hosts(str(raw))


def markdown(text: str | None) -> str:
    """Model or user markdown that loads no image by itself and shows every link's host."""
    return safe_markdown(text or "", image_hosts())


def live_markdown(text: str) -> str:
    """The same for a piece of a streaming answer, drawn once: not cached, so finished turns stay cached."""
    return rewrite_markdown(text, image_hosts())
