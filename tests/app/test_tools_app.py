"""Tool calls in the chat, in AppTest: each tool family's card, the function loop, MCP approvals, structured output."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from lib.chat import MAX_ROUNDS, RUNAWAY
from lib.tools import McpServer
from tests.app.actions import send_message, start
from tests.fake_openai import (
    CodeInterpreter,
    Error,
    FakeOpenAI,
    FileSearch,
    FunctionCall,
    ImageGeneration,
    McpApprovalRequest,
    McpCall,
    McpListTools,
    Message,
    Reasoning,
    Reply,
    WebSearch,
    container_file_citation,
    file_citation,
    tiny_png_b64,
    url_citation,
)

NOTES = {"file_id": "file-notes1", "filename": "notes.md", "score": 0.87, "text": "Cats sleep 16 hours a day."}
DOCS = McpServer(label="docs", url="https://mcp.example.com/sse", require_approval="always")


def cards(block) -> list[tuple[str, str]]:
    """(label, state) of every st.status card in a block."""
    return [(card.label, card.state) for card in block.get("status")]


def markdown(block) -> list[str]:
    return [m.value for m in block.markdown]


def approval_buttons(block) -> list[str]:
    return [b.label for b in block.button if b.label in ("Approve", "Deny")]


# --- hosted tools --------------------------------------------------------------------------------------------


def test_web_search_card_lists_numbered_sources_and_the_answer_cites_them(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Reply(
            WebSearch("cat sleep hours", sources=("https://cats.example/sleep", "https://vet.example/faq")),
            Message(
                "Cats sleep about 16 hours.",
                annotations=(
                    url_citation("https://cats.example/sleep", "How cats sleep", 0, 4),
                    url_citation("https://vet.example/faq", "Vet FAQ", 5, 10),
                    url_citation("https://cats.example/sleep", "How cats sleep", 11, 15),
                ),
            ),
        )
    )
    at = send_message(start(app, web_search=True), "How long do cats sleep?")
    answer = at.chat_message[1]
    assert cards(answer) == [("Searched the web: cat sleep hours · 2 sources", "complete")]
    card = answer.get("status")[0]
    assert markdown(card) == [
        "1. [https://cats\\.example/sleep](https://cats.example/sleep)",
        "2. [https://vet\\.example/faq](https://vet.example/faq)",
    ]
    assert "Cats sleep about 16 hours." in markdown(answer)
    # The same source cited twice is one numbered link.
    # Each title shows its host (item 9: no link hides where it goes).
    assert (
        "[1] [How cats sleep (cats\\.example)](https://cats.example/sleep)  \n"
        "[2] [Vet FAQ (vet\\.example)](https://vet.example/faq)"
    ) in markdown(answer)
    request = configured.response_requests()[0]
    assert request["tools"] == [{"type": "web_search", "search_context_size": "medium"}]
    assert request["include"] == ["web_search_call.action.sources"]


def test_file_search_hides_results_unless_asked_and_names_the_cited_file(app, configured: FakeOpenAI) -> None:
    answer = Message("They sleep 16 hours.", annotations=(file_citation("file-notes1", "notes.md", 20),))
    configured.queue(Reply(FileSearch(("cat sleep",), results=(NOTES,)), answer))
    at = send_message(start(app, file_search=True, vector_store_ids=("vs_cats",)), "How long do cats sleep?")
    reply = at.chat_message[1]
    assert cards(reply) == [("Searched your files: cat sleep", "complete")]
    assert not reply.get("status")[0].dataframe
    assert "Sources: notes\\.md" in [c.value for c in reply.caption]
    request = configured.response_requests()[0]
    assert request["tools"] == [{"type": "file_search", "vector_store_ids": ["vs_cats"], "max_num_results": 10}]
    assert "include" not in request


def test_file_search_results_table_when_show_results_is_on(app, configured: FakeOpenAI) -> None:
    configured.queue(Reply(FileSearch(("cat sleep",), results=(NOTES,)), Message("16 hours.")))
    at = start(app, file_search=True, vector_store_ids=("vs_cats",), file_search_show_results=True)
    at = send_message(at, "Sleep?")
    reply = at.chat_message[1]
    assert cards(reply) == [("Searched your files: cat sleep · 1 result", "complete")]
    table = reply.get("status")[0].dataframe[0].value
    assert table.to_dict("records") == [{"file": "notes.md", "score": 0.87, "text": "Cats sleep 16 hours a day."}]
    assert configured.response_requests()[0]["include"] == ["file_search_call.results"]


def test_code_interpreter_shows_code_logs_image_and_offers_its_file(app, configured: FakeOpenAI) -> None:
    chart = "https://files.example/chart.png"
    configured.containers.put("cntr_fake0001", "cfile_sums", "sums.csv", b"n,sum\n10,55\n")
    configured.queue(
        Reply(
            CodeInterpreter("print(sum(range(11)))", logs="55\n", files=(chart,)),
            Message(
                "The sum is 55; see sums.csv.",
                annotations=(container_file_citation("cntr_fake0001", "cfile_sums", "sums.csv", 20, 28),),
            ),
        )
    )
    at = send_message(start(app, code_interpreter=True), "Sum 0..10")
    reply = at.chat_message[1]
    assert cards(reply) == [("Ran code", "complete")]
    card = reply.get("status")[0]
    assert [(c.value, c.language) for c in card.code] == [("print(sum(range(11)))", "python"), ("55", "text")]
    # A web address the API names is a link showing its host, not an image the browser loads (item 9).
    assert not card.get("image")
    assert "[🖼 code output (files\\.example)](https://files.example/chart.png)" in markdown(card)
    download = reply.get("download_button")
    assert [d.label for d in download] == ["Download sums.csv"]
    # Fetched when clicked, not while drawing the chat.
    assert download[0].proto.deferred_file_id
    assert not [r for r in configured.requests if "/containers/" in r.path]
    request = configured.response_requests()[0]
    assert request["tools"] == [{"type": "code_interpreter", "container": {"type": "auto"}}]
    assert request["include"] == ["code_interpreter_call.outputs"]


def test_container_file_download_fetches_the_file_content(configured: FakeOpenAI) -> None:
    from openai import OpenAI

    from lib.ui.tool_cards import container_file

    configured.containers.put("cntr_1", "cfile_1", "out.csv", b"a,b\n1,2\n")
    client = OpenAI(api_key="sk-test", base_url=configured.base_url)
    assert container_file(client, "cntr_1", "cfile_1") == b"a,b\n1,2\n"
    assert configured.requests[-1].path == "/v1/containers/cntr_1/files/cfile_1/content"


def test_image_generation_shows_the_final_image_with_a_download(app, configured: FakeOpenAI) -> None:
    png = tiny_png_b64((0, 128, 255))
    configured.queue(Reply(ImageGeneration(png, partials=2), Message("Here it is.")))
    at = send_message(start(app, image_generation=True), "Draw a blue square")
    reply = at.chat_message[1]
    assert cards(reply) == [("Generated an image", "complete")]
    assert len(reply.get("image")) == 1
    assert not [c for c in reply.caption if c.value == "Drawing…"]
    assert [d.label for d in reply.get("download_button")] == ["Download image"]
    request = configured.response_requests()[0]
    assert request["tools"] == [{"type": "image_generation", "size": "auto", "quality": "auto", "partial_images": 2}]


def test_image_generation_keeps_the_partial_image_when_the_stream_drops(app, configured: FakeOpenAI) -> None:
    # The stream stops right after the two partial images: the chat keeps the last one, marked as a draft.
    configured.queue(Reply(ImageGeneration(tiny_png_b64(), partials=2), cut_after=7))
    at = send_message(start(app, image_generation=True), "Draw")
    for _run in range(2):  # as the turn ends, and as the transcript draws it on the next run
        reply = at.chat_message[1]
        assert cards(reply) == [("Generating an image (did not finish)", "error")]
        assert [i.proto.imgs[0].caption for i in reply.get("image")] == ["A draft: the image did not finish"]
        assert not reply.get("download_button")
        assert "dropped" in reply.warning[0].value
        at.run()


def test_mcp_list_tools_is_collapsed_and_names_the_tools(app, configured: FakeOpenAI) -> None:
    tools = ({"name": "search_docs", "description": "Search the docs"}, {"name": "fetch_page"})
    configured.queue(Reply(McpListTools("docs", tools=tools), Message("Two tools.")))
    at = send_message(start(app, mcp_servers=(DOCS,)), "What can docs do?")
    reply = at.chat_message[1]
    assert cards(reply) == [("docs: 2 tools available", "complete")]
    card = reply.get("status")[0]
    assert not card.proto.expanded
    assert markdown(card) == ["- `search_docs`: Search the docs", "- `fetch_page`"]


def test_reasoning_summary_is_requested_and_shown_in_thinking(app, configured: FakeOpenAI) -> None:
    configured.queue(Reply(Reasoning(("Weighing **options**.", "Picking one.")), Message("Blue.")))
    at = send_message(start(app, reasoning_summary="concise"), "Pick a colour")
    reply = at.chat_message[1]
    thinking = reply.expander[0]
    assert thinking.label == "Thinking"
    assert "\n\n".join(markdown(thinking)) == "Weighing **options**.\n\nPicking one."
    assert "Blue." in markdown(reply)
    assert configured.response_requests()[0]["reasoning"] == {"summary": "concise"}


# --- custom functions ----------------------------------------------------------------------------------------


def test_parallel_function_calls_send_both_outputs_and_draw_two_cards(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Reply(
            FunctionCall("get_weather", {"location": "Paris, France", "unit": "celsius"}, call_id="call_paris"),
            FunctionCall("get_weather", {"location": "Oslo, Norway", "unit": "celsius"}, call_id="call_oslo"),
        ),
        Reply(Message("Paris is warmer.")),
    )
    at = send_message(start(app, functions=("get_weather",)), "Weather in Paris and Oslo?")
    reply = at.chat_message[1]
    assert cards(reply) == [("Called get_weather", "complete"), ("Called get_weather", "complete")]
    assert [m.label for m in reply.metric][::3] == ["Paris, France", "Oslo, Norway"]
    assert [m.label for m in reply.metric][1:3] == ["Humidity", "Wind"]
    assert "Paris is warmer." in markdown(reply)
    first, second = configured.response_requests()
    assert [t["name"] for t in first["tools"]] == ["get_weather"]
    outputs = second["input"]
    assert [(o["type"], o["call_id"]) for o in outputs] == [
        ("function_call_output", "call_paris"),
        ("function_call_output", "call_oslo"),
    ]
    assert [json.loads(o["output"])["location"] for o in outputs] == ["Paris, France", "Oslo, Norway"]
    assert second["conversation"] == first["conversation"]


def test_a_raising_function_sends_its_error_back_and_the_answer_still_renders(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Reply(FunctionCall("calculate", {"expression": "__import__('os')"}, call_id="call_evil")),
        Reply(Message("I can only do arithmetic.")),
    )
    at = send_message(start(app, functions=("calculate",)), "Run os")
    reply = at.chat_message[1]
    assert cards(reply) == [("calculate failed", "error")]
    error = reply.get("status")[0].error[0].value.replace("\\", "")  # shown as text: markdown escaped
    assert error.startswith("ValueError: unsupported element 'Call'")
    assert "I can only do arithmetic." in markdown(reply)
    sent = configured.response_requests()[1]["input"]
    assert sent == [{"type": "function_call_output", "call_id": "call_evil", "output": f"Error: {error}"}]


def test_a_runaway_function_loop_stops_after_the_bound_and_the_chat_goes_on(app, configured: FakeOpenAI) -> None:
    looping = [
        Reply(FunctionCall("calculate", {"expression": f"{n} + 1"}, call_id=f"call_{n}")) for n in range(MAX_ROUNDS)
    ]
    configured.queue(*looping, Reply(Message("I kept counting: 10.")), Reply(Message("Hi.")))
    at = send_message(start(app, functions=("calculate",)), "Count forever")
    reply = at.chat_message[1]
    assert len(reply.get("status")) == MAX_ROUNDS
    assert reply.warning[0].value == RUNAWAY
    assert "I kept counting: 10." in markdown(reply)
    requests = configured.response_requests()
    # Ten rounds of calls, then their last outputs go back with tools off, so the thread stays answerable.
    assert len(requests) == MAX_ROUNDS + 1
    assert [r.get("tool_choice") for r in requests] == [None] * MAX_ROUNDS + ["none"]
    assert requests[-1]["input"] == [{"type": "function_call_output", "call_id": "call_9", "output": "10.0"}]
    at = send_message(at, "Just say hi")
    follow_up = at.chat_message[3]
    assert not follow_up.error, follow_up.error[0].value
    assert "Hi." in markdown(follow_up)


def test_a_failed_round_after_function_calls_leaves_the_chat_usable(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Reply(FunctionCall("calculate", {"expression": "1 + 1"}, call_id="call_sum")),
        Error(400, "Invalid value for 'input'."),
        Reply(Message("Hi.")),
    )
    at = send_message(start(app, functions=("calculate",)), "Add")
    assert "Invalid value" in at.chat_message[1].error[0].value
    at = send_message(at, "Hello again")
    # The API refuses a thread whose function calls have no outputs: the next prompt must carry them.
    assert not at.chat_message[3].error, at.chat_message[3].error[0].value
    assert configured.last_input()[0] == {"type": "function_call_output", "call_id": "call_sum", "output": "2.0"}


# --- remote MCP approvals --------------------------------------------------------------------------------------


def _approval_turn(app, configured: FakeOpenAI) -> AppTest:
    configured.queue(Reply(McpApprovalRequest("docs", "search_docs", {"query": "rate limits"})))
    at = send_message(start(app, mcp_servers=(DOCS,)), "Search the docs for rate limits")
    reply = at.chat_message[1]
    assert cards(reply) == [("docs asks to run search_docs", "complete")]
    card = reply.get("status")[0]
    assert card.proto.expanded
    assert card.json[0].value == json.dumps({"query": "rate limits"})
    assert [b.label for b in reply.button] == ["Approve", "Deny", "View as code", "Regenerate", "Fork"]
    return at


def _approval_request_id(configured: FakeOpenAI) -> str:
    stored = configured.store.items(configured.response_requests()[0]["conversation"])
    return next(i["id"] for i in stored if i["type"] == "mcp_approval_request")


def test_mcp_approve_sends_the_approval_and_the_call_and_answer_render(app, configured: FakeOpenAI) -> None:
    at = _approval_turn(app, configured)
    configured.queue(
        Reply(
            McpCall("docs", "search_docs", {"query": "rate limits"}, output="Limits: 500 RPM"),
            Message("The limit is 500 requests a minute."),
        )
    )
    at.button(key=f"approve_{_approval_request_id(configured)}").click().run()
    assert not at.exception
    assert configured.last_input() == [
        {"type": "mcp_approval_response", "approve": True, "approval_request_id": _approval_request_id(configured)}
    ]
    reply = at.chat_message[1]
    assert cards(reply) == [("Approved: search_docs on docs", "complete"), ("Called search_docs on docs", "complete")]
    assert not reply.get("status")[0].proto.expanded
    assert not approval_buttons(reply)  # answered: no buttons any more
    assert "The limit is 500 requests a minute." in markdown(reply)
    assert len(at.chat_message) == 2


def test_mcp_deny_sends_a_refusal(app, configured: FakeOpenAI) -> None:
    at = _approval_turn(app, configured)
    configured.queue(Reply(Message("Understood, I will not search.")))
    at.button(key=f"deny_{_approval_request_id(configured)}").click().run()
    assert not at.exception
    assert configured.last_input() == [
        {"type": "mcp_approval_response", "approve": False, "approval_request_id": _approval_request_id(configured)}
    ]
    reply = at.chat_message[1]
    assert cards(reply) == [("Denied: search_docs on docs", "complete")]
    assert not approval_buttons(reply)
    assert "Understood, I will not search." in markdown(reply)


def test_a_failed_mcp_call_shows_its_error_text(app, configured: FakeOpenAI) -> None:
    configured.queue(
        Reply(
            McpCall("docs", "fetch_page", {"url": "https://x.example"}, error="Page not found"),
            Message("I could not fetch it."),
        )
    )
    at = send_message(start(app, mcp_servers=(McpServer("docs", DOCS.url, require_approval="never"),)), "Fetch it")
    reply = at.chat_message[1]
    assert cards(reply) == [("Failed to call fetch_page on docs", "error")]
    assert reply.get("status")[0].error[0].value == "Page not found"
    assert configured.response_requests()[0]["tools"] == [
        {"type": "mcp", "server_label": "docs", "server_url": DOCS.url, "require_approval": "never"}
    ]


# --- structured output ---------------------------------------------------------------------------------------

CITIES = {
    "type": "object",
    "title": "City list (v2)",
    "properties": {
        "cities": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "people": {"type": "integer"}},
                "required": ["name", "people"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["cities"],
    "additionalProperties": False,
}


def test_structured_answer_is_shown_as_json_and_as_a_table(app, configured: FakeOpenAI) -> None:
    answer = {"cities": [{"name": "Paris", "people": 2100000}, {"name": "Oslo", "people": 700000}]}
    configured.queue(Reply(Message(json.dumps(answer))))
    at = send_message(start(app, json_schema=json.dumps(CITIES)), "Two cities")
    reply = at.chat_message[1]
    assert json.loads(reply.json[0].value) == answer
    assert reply.dataframe[0].value.to_dict("records") == answer["cities"]
    assert configured.response_requests()[0]["text"] == {
        "format": {"type": "json_schema", "name": "City_list_v2", "schema": CITIES, "strict": True}
    }
