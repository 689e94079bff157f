"""The endpoints: what each request gets back, independent of HTTP plumbing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .checks import approvals, check_background, check_tool_items, context_items
from .events import Lifecycle, Step, Turn, lifecycle, new_response
from .items import count_words, item_text, last_user_text, normalise_input, normalise_item
from .params import check_params
from .recording import Recording
from .scripts import Endless, Error, Script, Seen, Text, error_body
from .store import Store, StoredResponse, cursor_page, list_page
from .tokens import compaction_lead, context_management_refusal

MAX_CONVERSATION_ITEMS = 20


@dataclass
class JsonReply:
    """A JSON answer."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamReply:
    """An SSE answer; `on_done` runs before a terminal event is written (a cut stream never stores)."""

    # A list, or a generator that blocks until a background job produces its next event.
    steps: Iterable[Step]
    cut_after: int | None = None
    on_done: Callable[[], None] | None = None
    chunked: bool | None = None  # None: as the server is set


@dataclass
class DropReply:
    """Close the connection without answering."""


Reply = JsonReply | StreamReply | DropReply


def error(status: int, message: str, param: str | None = None, code: str | None = None) -> JsonReply:
    """An invalid_request_error reply."""
    return JsonReply(status, error_body(message, type="invalid_request_error", param=param, code=code))


def _too_many(count: int) -> str:
    """The API's message for more than 20 items in one conversations.create or items.create."""
    return (
        f"Invalid 'items': array too long. Expected an array with maximum length "
        f"{MAX_CONVERSATION_ITEMS}, but got an array with length {count} instead."
    )


def _not_found(kind: str, object_id: str, param: str | None = None) -> JsonReply:
    return error(404, f"{kind} with id '{object_id}' not found.", param=param)


class Api:
    """Routes a parsed request to its endpoint."""

    def __init__(
        self,
        models: tuple[str, ...],
        conversations: bool,
        store: Store,
        next_script: Callable[[dict[str, Any]], Script | None],
    ) -> None:
        self.models = models
        self.conversations = conversations
        self.store = store
        self.next_script = next_script
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Reply]]] = [
            ("GET", re.compile(r"/models"), self.list_models),
            ("GET", re.compile(r"/models/(?P<model>[^/]+)"), self.get_model),
            ("POST", re.compile(r"/responses"), self.create_response),
            ("GET", re.compile(r"/responses/(?P<rid>[^/]+)"), self.get_response),
            ("DELETE", re.compile(r"/responses/(?P<rid>[^/]+)"), self.delete_response),
            ("GET", re.compile(r"/responses/(?P<rid>[^/]+)/input_items"), self.input_items),
            ("POST", re.compile(r"/responses/(?P<rid>[^/]+)/cancel"), self.cancel_response),
            ("POST", re.compile(r"/conversations"), self.create_conversation),
            ("GET", re.compile(r"/conversations/(?P<cid>[^/]+)"), self.get_conversation),
            ("POST", re.compile(r"/conversations/(?P<cid>[^/]+)"), self.update_conversation),
            ("DELETE", re.compile(r"/conversations/(?P<cid>[^/]+)"), self.delete_conversation),
            ("GET", re.compile(r"/conversations/(?P<cid>[^/]+)/items"), self.list_items),
            ("POST", re.compile(r"/conversations/(?P<cid>[^/]+)/items"), self.add_items),
            ("GET", re.compile(r"/conversations/(?P<cid>[^/]+)/items/(?P<iid>[^/]+)"), self.get_item),
            ("DELETE", re.compile(r"/conversations/(?P<cid>[^/]+)/items/(?P<iid>[^/]+)"), self.delete_item),
        ]

    def handle(self, method: str, route: str, raw_path: str, query: dict[str, str], body: Any) -> Reply:
        """The reply to one request; `route` is the path without its `/v1` (or Azure) prefix."""
        unknown = error(404, f"Invalid URL ({method} {raw_path})")
        if route.startswith("/conversations") and not self.conversations:
            return unknown
        for verb, pattern, endpoint in self.routes:
            match = pattern.fullmatch(route)
            if verb == method and match:
                return endpoint(query=query, body=body, **match.groupdict())
        return unknown

    def list_models(self, **_: Any) -> Reply:
        return JsonReply(200, list_page([self._model(name) for name in self.models]))

    def get_model(self, model: str, **_: Any) -> Reply:
        if model not in self.models:
            return error(404, f"The model '{model}' does not exist", param="model", code="model_not_found")
        return JsonReply(200, self._model(model))

    @staticmethod
    def _model(name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "openai"}

    def create_response(self, body: Any, **_: Any) -> Reply:
        if not isinstance(body, dict):
            return error(400, "We could not parse the JSON body of your request.")
        conversation = body.get("conversation")
        conversation_id = conversation.get("id") if isinstance(conversation, dict) else conversation
        rejection = self._check_create(body, conversation_id)
        if rejection is not None:
            return rejection
        input_items = normalise_input(body.get("input"))
        context = context_items(self.store, body.get("previous_response_id"), conversation_id)
        refusal = check_params(body) or check_background(body) or check_tool_items(context, input_items)
        if refusal is not None:
            return error(400, refusal.message, refusal.param, refusal.code)
        if bad_management := context_management_refusal(body):
            return error(400, *bad_management)
        # Without new input (a conversation that already ends with the prompt) the model answers its last message.
        script = self.next_script(body) or Text(
            "Echo: " + last_user_text(body.get("input") if input_items else context)
        )
        if isinstance(script, Seen):
            said = [
                item_text(i) for i in context + input_items if i.get("type") == "message" and i.get("role") == "user"
            ]
            script = Text("Seen: " + " | ".join(said))
        if isinstance(script, Error):
            return JsonReply(script.status, script.body(), dict(script.headers or {}))
        if isinstance(script, Endless) and not body.get("stream"):
            raise ValueError("an Endless script is for streamed requests only")
        if isinstance(script, Recording):
            return self._replay(script, body, input_items, conversation_id)
        turn = Turn.of(body, approvals(context, input_items))
        life = lifecycle(
            script, new_response(body, conversation_id), count_words(body), turn, lead=compaction_lead(body, context)
        )

        def finish() -> None:
            self._keep(body, life, input_items, conversation_id)

        cut_after = getattr(script, "cut_after", None)
        if body.get("background"):
            # The job runs whatever happens to this connection: a cut drops only the stream.
            run = self.store.start_run(life.steps, input_items, finish)
            run.resume_cut_after = getattr(script, "resume_cut_after", None)
            if body.get("stream"):
                return StreamReply(run.follow(-1), cut_after)
            return JsonReply(200, life.events()[0]["response"])
        if body.get("stream"):
            return StreamReply(life.steps, cut_after, finish)
        time.sleep(sum(pause for pause, _ in life.steps))
        if cut_after is not None:
            return DropReply()
        finish()
        return JsonReply(200, life.final)

    def _replay(
        self, recording: Recording, body: dict[str, Any], input_items: list[dict[str, Any]], conversation_id: str | None
    ) -> Reply:
        """Serve a recorded stream as recorded; its terminal response is kept as this request's response."""
        final = recording.final()

        def finish() -> None:
            if final is None:
                return
            if body.get("store", True) is not False:
                self.store.put_response(StoredResponse(final, input_items, recording.events()))
            if conversation_id and final.get("status") in ("completed", "incomplete"):
                self.store.append_items(conversation_id, input_items + list(final.get("output") or []))

        if not body.get("stream"):
            finish()
            return JsonReply(200, final)
        steps = [(recording.delay, frame) for frame in recording.frames()]
        return StreamReply(steps, None, finish, recording.chunked)

    def _check_create(self, body: dict[str, Any], conversation_id: str | None) -> JsonReply | None:
        """The API's 4xx for a create it would refuse before generating anything, else None."""
        previous_id = body.get("previous_response_id")
        if not body.get("model"):
            return error(400, "Missing required parameter: 'model'.", "model", "missing_required_parameter")
        if conversation_id and previous_id:
            message = (
                "Mutually exclusive parameters: Ensure you are only providing one of: "
                "'previous_response_id' or 'conversation'."
            )
            return error(400, message, "previous_response_id", "mutually_exclusive_parameters")
        if conversation_id and not self.conversations:
            return error(400, "Unknown parameter: 'conversation'.", "conversation", "unknown_parameter")
        if conversation_id and self.store.conversation(conversation_id) is None:
            return _not_found("Conversation", conversation_id, "conversation")
        if previous_id and self.store.response(previous_id) is None:
            # The real API answers 400 (not 404) for an unknown previous response.
            message = f"Previous response with id '{previous_id}' not found."
            return error(400, message, "previous_response_id", "previous_response_not_found")
        return None

    def _keep(
        self, body: dict[str, Any], life: Lifecycle, input_items: list[dict[str, Any]], conversation_id: str | None
    ) -> None:
        """Store a finished response and extend its conversation, as the API does on completion."""
        if body.get("store", True) is not False:
            self.store.put_response(StoredResponse(life.final, input_items, life.events()))
        if conversation_id and life.final["status"] in ("completed", "incomplete"):
            self.store.append_items(conversation_id, input_items + life.final["output"])

    def get_response(self, rid: str, query: dict[str, str], **_: Any) -> Reply:
        stored = self.store.response(rid)
        if stored is None:
            return _not_found("Response", rid)
        if query.get("stream") == "true":
            # Resuming a stream replays the stored events after `starting_after`, server-side.
            after = int(query.get("starting_after", -1))
            run = self.store.runs.get(rid)
            if run is not None:
                return StreamReply(run.follow(after), run.resume_cut_after)
            # A recording without sequence numbers is replayed whole.
            events = [e for e in stored.events if e.get("sequence_number", after + 1) > after]
            return StreamReply([(0.0, event) for event in events])
        return JsonReply(200, stored.response)

    def delete_response(self, rid: str, **_: Any) -> Reply:
        if not self.store.delete_response(rid):
            return _not_found("Response", rid)
        return JsonReply(200, {"id": rid, "object": "response", "deleted": True})

    def input_items(self, rid: str, query: dict[str, str], **_: Any) -> Reply:
        stored = self.store.response(rid)
        if stored is None:
            return _not_found("Response", rid)
        return JsonReply(200, cursor_page(stored.input_items, query))

    def cancel_response(self, rid: str, **_: Any) -> Reply:
        stored = self.store.response(rid)
        if stored is None:
            return _not_found("Response", rid)
        if not stored.response.get("background"):
            return error(400, "Only responses created with background=true can be cancelled.")
        run = self.store.runs.get(rid)
        if run is not None:
            # A finished run stays as it ended: cancelling it again is a no-op.
            run.cancel()
        current = self.store.response(rid)
        return JsonReply(200, current.response) if current else _not_found("Response", rid)

    def create_conversation(self, body: Any, **_: Any) -> Reply:
        body = body if isinstance(body, dict) else {}
        items = body.get("items") or []
        if len(items) > MAX_CONVERSATION_ITEMS:
            return error(400, _too_many(len(items)), "items", "array_above_max_length")
        conversation = self.store.create_conversation(body.get("metadata"), normalise_input(items))
        return JsonReply(200, conversation)

    def get_conversation(self, cid: str, **_: Any) -> Reply:
        conversation = self.store.conversation(cid)
        return JsonReply(200, conversation) if conversation else _not_found("Conversation", cid)

    def update_conversation(self, cid: str, body: Any, **_: Any) -> Reply:
        metadata = body.get("metadata") if isinstance(body, dict) else None
        conversation = self.store.update_conversation(cid, metadata or {})
        return JsonReply(200, conversation) if conversation else _not_found("Conversation", cid)

    def delete_conversation(self, cid: str, **_: Any) -> Reply:
        if not self.store.delete_conversation(cid):
            return _not_found("Conversation", cid)
        return JsonReply(200, {"id": cid, "object": "conversation.deleted", "deleted": True})

    def list_items(self, cid: str, query: dict[str, str], **_: Any) -> Reply:
        items = self.store.items(cid)
        return JsonReply(200, cursor_page(items, query)) if items is not None else _not_found("Conversation", cid)

    def add_items(self, cid: str, body: Any, **_: Any) -> Reply:
        raw = body.get("items") if isinstance(body, dict) else None
        if not isinstance(raw, list):
            return error(400, "Missing required parameter: 'items'.", "items", "missing_required_parameter")
        if len(raw) > MAX_CONVERSATION_ITEMS:
            return error(400, _too_many(len(raw)), "items", "array_above_max_length")
        items = [normalise_item(item) for item in raw]
        if not self.store.append_items(cid, items):
            return _not_found("Conversation", cid)
        return JsonReply(200, list_page(items))

    def get_item(self, cid: str, iid: str, **_: Any) -> Reply:
        items = self.store.items(cid)
        if items is None:
            return _not_found("Conversation", cid)
        found = next((item for item in items if item.get("id") == iid), None)
        return JsonReply(200, found) if found else _not_found("Item", iid)

    def delete_item(self, cid: str, iid: str, **_: Any) -> Reply:
        if not self.store.delete_item(cid, iid):
            return _not_found("Item", iid) if self.store.conversation(cid) else _not_found("Conversation", cid)
        return JsonReply(200, self.store.conversation(cid))
