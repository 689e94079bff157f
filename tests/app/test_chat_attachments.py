"""Files dropped into the chat: images and PDFs go to the model; other documents are offered for indexing."""

from __future__ import annotations

import base64

from tests.app.actions import send_message
from tests.fake_openai import FakeOpenAI, tiny_png


def test_attached_png_is_sent_as_input_image_and_shown(app, configured: FakeOpenAI) -> None:
    png = tiny_png((0, 128, 255))
    at = app().run()
    at.chat_input[0].upload("chart.png", png, "image/png").set_value("What colour is this?").run()
    assert not at.exception
    (message,) = configured.last_input()
    text, image = message["content"]
    assert text == {"type": "input_text", "text": "What colour is this?"}
    assert image["type"] == "input_image"
    assert image["image_url"] == "data:image/png;base64," + base64.b64encode(png).decode()
    # The text, the thumbnail, and the row with Edit (lib/ui/branch_view.py).
    assert [type(c).__name__ for c in at.chat_message[0].children.values()] == ["Markdown", "Image", "Block"]


def test_pdf_goes_as_input_file_and_documents_are_offered_for_indexing(app, configured: FakeOpenAI) -> None:
    at = app().run()
    at.chat_input[0].upload("report.pdf", b"%PDF-1.4 tiny", "application/pdf")
    at.chat_input[0].upload("notes.md", b"# Notes", "text/markdown").set_value("Summarise").run()
    (message,) = configured.last_input()
    assert [p["type"] for p in message["content"]] == ["input_text", "input_file"]
    assert message["content"][1]["filename"] == "report.pdf"
    assert any("notes.md" in i.value for i in at.info)


def test_image_url_in_the_text_is_sent_as_an_image(app, configured: FakeOpenAI) -> None:
    at = app().run()
    send_message(at, "Describe https://example.com/cat.jpg please")
    (message,) = configured.last_input()
    assert message["content"][1] == {
        "type": "input_image",
        "image_url": "https://example.com/cat.jpg",
        "detail": "auto",
    }
