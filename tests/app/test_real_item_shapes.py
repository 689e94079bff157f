"""Items as the real API sends them, which a double tends to leave out: page actions, image formats, error events."""

from __future__ import annotations

import base64
import io
import mimetypes

import pytest

from lib.ui.tool_cards import image_type
from tests.app.actions import send_message, start
from tests.fake_openai import Failed, FakeOpenAI, ImageGeneration, Message, Reply, WebSearch


def test_web_search_page_actions_say_which_page_was_opened_or_searched(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Reply(
            WebSearch("cat sleep", sources=("https://cats.example/sleep",)),
            WebSearch(action="open_page", url="https://www.cats.example/sleep/hours?ref=search"),
            WebSearch(action="find_in_page", url="https://cats.example/sleep/hours", pattern="16 hours"),
            WebSearch(action="open_page"),
            Message("About 16 hours."),
        )
    )
    at = send_message(start(app, web_search=True), "How long do cats sleep?")
    expected = [
        ("Searched the web: cat sleep · 1 source", "complete"),
        ("Opened cats.example/sleep/hours", "complete"),
        ("Searched for “16 hours” in cats.example/sleep/hours", "complete"),
        ("Opened a page", "complete"),
    ]
    for _run in range(2):
        assert [(card.label, card.state) for card in at.chat_message[1].get("status")] == expected
        at.run()


def picture(fmt: str) -> bytes:
    """A tiny picture really encoded as `fmt` (WEBP, JPEG)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2), (0, 128, 255)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "file_name", "mime"), [("webp", "webp", "image/webp"), ("jpeg", "jpg", "image/jpeg")])
def test_a_generated_image_is_offered_in_its_own_format(
    app, configured: FakeOpenAI, fmt: str, file_name: str, mime: str
) -> None:
    data = base64.b64encode(picture(fmt.upper())).decode()
    configured.queue(Reply(ImageGeneration(data, partials=1, output_format=fmt), Message("Here it is.")))
    at = send_message(start(app, image_generation=True), "Draw a blue square")
    (button,) = at.chat_message[1].get("download_button")
    # The media URL's extension is the one of the MIME type the file is served with.
    assert button.proto.url.endswith(f".{mimetypes.guess_extension(mime).lstrip('.')}")
    assert len(at.chat_message[1].get("image")) == 1
    assert image_type(picture(fmt.upper()), fmt) == (file_name, mime)


def test_the_image_type_comes_from_the_bytes_then_the_item() -> None:
    assert image_type(picture("WEBP"), "png") == ("webp", "image/webp")  # the bytes win over a wrong label
    assert image_type(picture("JPEG")) == ("jpg", "image/jpeg")
    assert image_type(picture("PNG"), "webp") == ("png", "image/png")
    assert image_type(b"unknown bytes", "webp") == ("webp", "image/webp")
    assert image_type(b"unknown bytes", "jpeg") == ("jpg", "image/jpeg")
    assert image_type(b"unknown bytes") == ("png", "image/png")


QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more information on "
    "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
)


@pytest.mark.parametrize(
    ("code", "message", "says"),
    [
        (
            "insufficient_quota",
            QUOTA,
            "The API key's account is out of credit (insufficient_quota): You exceeded your "
            "current quota, please check your plan and billing details. For more information on this error, "
            "read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors. Add credit or raise "
            "the spending limit in the billing settings of its organization, then send again; your message is kept.",
        ),
        (
            "rate_limit_exceeded",
            "Rate limit reached for requests.",
            "Rate limited while answering: Rate limit reached for requests. Try again in a moment; "
            "your message is kept.",
        ),
        (
            "server_error",
            "The server had an error.",
            "The server had an error while answering. Try again; your message is kept.",
        ),
        (
            "context_length_exceeded",
            "Your input exceeds the context window of this model.",
            "The conversation no longer fits the context window of gpt-5-mini: Your input exceeds the context "
            "window of this model. Start a new chat, or pick a model with a larger context on the Setup page.",
        ),
        (
            "invalid_image_format",
            "The image format is not supported.",
            "An image could not be used (invalid_image_format): The image format is not supported. Send another image, "
            "or none.",
        ),
        (
            "something_new",
            "A new kind of failure.",
            "The API stopped the answer with an error (something_new): A new kind of failure.",
        ),
    ],
)
def test_an_error_event_in_the_stream_says_what_happened_and_what_to_do(
    app, configured: FakeOpenAI, code: str, message: str, says: str
) -> None:
    configured.queue(Failed(message, code=code, event=True))
    at = send_message(start(app), "Hello")
    assert [e.value for e in at.chat_message[1].error] == [says]
    assert at.chat_input[0].value == "Hello"  # the prompt is back in the input, to send again


def test_a_web_search_source_without_a_url_is_listed_by_name(app, configured: FakeOpenAI) -> None:
    sources = ("https://cats.example/sleep", {"type": "api", "name": "oai-weather"})
    configured.queue(Reply(WebSearch("weather in Oslo", sources=sources), Message("Rain.")))
    at = send_message(start(app, web_search=True), "Weather?")
    card = at.chat_message[1].get("status")[0]
    assert card.label == "Searched the web: weather in Oslo · 2 sources"
    assert [m.value for m in card.markdown] == [
        "1. [https://cats\\.example/sleep](https://cats.example/sleep)",
        "2. oai\\-weather",
    ]
