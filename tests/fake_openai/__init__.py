"""A local OpenAI Responses-API double, driven through the real `openai` SDK."""

from __future__ import annotations

from .scripts import Cut, Error, Failed, Incomplete, Script, Text
from .server import DEFAULT_MODELS, FakeOpenAI, Recorded

__all__ = ["DEFAULT_MODELS", "Cut", "Error", "FakeOpenAI", "Failed", "Incomplete", "Recorded", "Script", "Text"]
