"""Setup's Tools tab in AppTest: what is saved there is exactly what the chat's requests offer the model."""

from __future__ import annotations

import json

from openai import OpenAI
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

from lib.registry import all_tools
from tests.app.actions import send_message
from tests.app.conftest import APP_KEY
from tests.fake_openai import FakeOpenAI

SECRET = "Bearer mcp-secret-token-4242"
STRICT = {
    "type": "object",
    "title": "Answer",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}


def open_setup(app) -> AppTest:
    at = app().run()
    at.switch_page("app_pages/setup.py").run()
    assert at.title[0].value == "Setup"
    return at


def by_label(elements, label: str):
    return next(e for e in elements if e.label == label)


def save(at: AppTest) -> AppTest:
    by_label(at.button, "Save").click().run()
    assert not at.exception
    return at


def send(at: AppTest, prompt: str) -> AppTest:
    """Send a prompt from the chat page (AppTest keeps requesting the page last named by switch_page)."""
    at.switch_page("app_pages/chat.py").run()
    send_message(at, prompt)
    assert not at.exception
    return at


def add_rows(at: AppTest, key: str, rows: list[dict]) -> AppTest:
    """Add rows to a st.data_editor, as its grid sends them (AppTest cannot type into the grid)."""
    editor = next(e for e in at.data_editor if e.key == key)
    states: WidgetStates = at._tree.get_widget_states()  # the widgets as they stand, plus the editor's edit
    edit = states.widgets.add()
    edit.id = editor.proto.id
    edit.string_value = json.dumps({"edited_rows": {}, "added_rows": rows, "deleted_rows": []})
    return at._run(states)


def every_value(at: AppTest) -> str:
    """The values and labels of every element on the page, as one string to search."""
    found = []
    for node in at._tree:
        for name in ("value", "label", "placeholder", "help", "body"):
            try:
                found.append(str(getattr(node, name)))
            except Exception:  # noqa: BLE001 - not every element has every field
                pass
    return "\n".join(found)


def test_invalid_schema_is_refused_with_its_problem_and_not_saved(app, configured: FakeOpenAI) -> None:
    at = open_setup(app)
    schema = by_label(at.text_area, "Structured output: JSON Schema")
    loose = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    schema.set_value(json.dumps(loose))
    save(at)
    assert at.title[0].value == "Setup"
    message = at.error[0].value
    assert message.startswith("The structured-output schema was not saved.")
    assert '"additionalProperties": false' in message
    schema = by_label(at.text_area, "Structured output: JSON Schema")
    schema.set_value('{"type": "object", "properties": {}')
    save(at)
    assert "Not valid JSON" in at.error[0].value and "line 1" in at.error[0].value
    assert "tools" not in at.session_state["settings"]


def test_valid_schema_is_saved_and_sent_as_strict_text_format(app, configured: FakeOpenAI) -> None:
    at = open_setup(app)
    by_label(at.text_area, "Structured output: JSON Schema").set_value(json.dumps(STRICT, indent=2))
    save(at)
    assert at.title[0].value == "Responses Studio"
    send(at, "Answer me")
    sent = configured.response_requests()[0]["text"]
    assert sent == {"format": {"type": "json_schema", "name": "Answer", "schema": STRICT, "strict": True}}


def test_tools_chosen_on_setup_are_the_tools_the_chat_sends(app, configured: FakeOpenAI) -> None:
    store = OpenAI(api_key=APP_KEY, base_url=configured.base_url).vector_stores.create(name="Cat facts")
    at = open_setup(app)
    by_label(at.toggle, "Web search").set_value(True).run()
    by_label(at.selectbox, "Search context size").set_value("high")
    by_label(at.text_input, "Country").set_value("GB")
    by_label(at.text_input, "Timezone").set_value("Europe/London")
    by_label(at.toggle, "File search").set_value(True).run()
    stores = by_label(at.multiselect, "Vector stores")
    assert stores.options == ["Cat facts"]  # listed from the double, by name
    stores.select(store.id)
    by_label(at.number_input, "Max results").set_value(5)
    by_label(at.checkbox, "Show the search results in the chat").check()
    assert [c.key for c in at.checkbox if c.key and c.key.startswith("setup_fn_")] == [
        f"setup_fn_{fn.name}" for fn in all_tools()
    ]
    at.checkbox(key="setup_fn_get_weather").check()
    at.checkbox(key="setup_fn_calculate").check()
    at = add_rows(
        at,
        "setup_mcp",
        [
            {
                "label": "docs",
                "server_url": "https://mcp.example.com/sse",
                "allowed_tools": "search_docs, fetch_page",
                "require_approval": "never",
            }
        ],
    )
    assert not at.exception
    auth = by_label(at.text_input, "Authorization header for docs")
    assert auth.proto.type == auth.proto.PASSWORD
    auth.set_value(SECRET)
    save(at)
    assert at.title[0].value == "Responses Studio"
    assert SECRET not in repr(at.session_state["settings"])

    send(at, "Use your tools")
    request = configured.response_requests()[0]
    functions = {fn.name: fn.to_api() for fn in all_tools()}
    assert request["tools"] == [
        {
            "type": "web_search",
            "search_context_size": "high",
            "user_location": {"type": "approximate", "country": "GB", "timezone": "Europe/London"},
        },
        {"type": "file_search", "vector_store_ids": [store.id], "max_num_results": 5},
        {
            "type": "mcp",
            "server_label": "docs",
            "server_url": "https://mcp.example.com/sse",
            "require_approval": "never",
            "allowed_tools": ["search_docs", "fetch_page"],
            "headers": {"Authorization": SECRET},
        },
        functions["calculate"],
        functions["get_weather"],  # in the order Setup lists them
    ]
    assert request["include"] == ["file_search_call.results", "web_search_call.action.sources"]
    by_label(at.button, "View as code").click().run()
    page = every_value(at)
    assert '"server_label": "docs"' in page  # the search sees the code shown for the request
    assert "mcp-secret-token" not in page

    # Back on Setup, everything is as saved, and the header is kept without being shown anywhere.
    at.switch_page("app_pages/setup.py").run()
    assert by_label(at.toggle, "Web search").value and by_label(at.toggle, "File search").value
    assert by_label(at.multiselect, "Vector stores").value == [store.id]
    assert at.checkbox(key="setup_fn_get_weather").value and at.checkbox(key="setup_fn_calculate").value
    auth = by_label(at.text_input, "Authorization header for docs")
    assert auth.value == "" and auth.placeholder == "(kept; type to replace)"
    page = every_value(at)
    assert "Authorization header for docs" in page and "mcp-secret-token" not in page
    save(at)  # saving again without retyping keeps the header
    send(at, "Again")
    assert configured.response_requests()[-1]["tools"][2]["headers"] == {"Authorization": SECRET}
