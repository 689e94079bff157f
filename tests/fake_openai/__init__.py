"""A local OpenAI Responses-API double, driven through the real `openai` SDK."""

from __future__ import annotations

from .outputs import (
    CodeInterpreter,
    FileSearch,
    FunctionCall,
    ImageGeneration,
    McpApprovalRequest,
    McpCall,
    McpListTools,
    Message,
    Reasoning,
    WebSearch,
    container_file_citation,
    file_citation,
    url_citation,
)
from .png import tiny_png, tiny_png_b64
from .scripts import Cut, Endless, Error, Failed, Incomplete, Recording, Reply, Script, Seen, Text
from .server import DEFAULT_MODELS, FakeOpenAI, Recorded

__all__ = [
    "DEFAULT_MODELS",
    "CodeInterpreter",
    "Cut",
    "Endless",
    "Error",
    "FakeOpenAI",
    "Failed",
    "FileSearch",
    "FunctionCall",
    "ImageGeneration",
    "Incomplete",
    "McpApprovalRequest",
    "McpCall",
    "McpListTools",
    "Message",
    "Reasoning",
    "Recorded",
    "Recording",
    "Reply",
    "Script",
    "Seen",
    "Text",
    "WebSearch",
    "container_file_citation",
    "file_citation",
    "tiny_png",
    "tiny_png_b64",
    "url_citation",
]
