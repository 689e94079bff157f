"""Terminal client: `python -m lib.cli`, the app's chat on the same settings, client and turn code."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from dotenv import dotenv_values

from lib.capabilities import NO_CONVERSATIONS as CHAINED_NOTE
from lib.providers import DEFAULT_BASE_URL
from lib.providers import MISSING_KEY as APP_MISSING_KEY
from lib.settings import DEFAULT_MODEL, Settings, resolve
from lib.stream import Turn
from lib.usage_text import usage_line

# The SDK (and lib.chat) take a second to import: imported where a chat needs them, so --help answers at once.
if TYPE_CHECKING:
    from openai import OpenAI

    from lib.conversations import Thread

# Called once per finished turn (failed ones too): (settings, turn, conversation id, previous response id).
Recorder = Callable[[Settings, Turn, "str | None", "str | None"], None]

MISSING_KEY = (
    f"{APP_MISSING_KEY} "
    "Set OPENAI_API_KEY in the environment or in .env in this directory (or in .streamlit/secrets.toml)."
)
# The app's sentence, and how to resume here.
NO_CONVERSATIONS = f"{CHAINED_NOTE.removesuffix('.')} (resume with --response and the last response id)."
QUIT_WORDS = {"", "exit", "quit"}
BAD_AT = "--at N takes a turn number from 1, with --fork CONV_ID."
EPILOG = f"""\
settings, first found wins (as in the app): these options; .streamlit/secrets.toml in the
  current directory, then in ~/.streamlit; the environment; .env in the current directory;
  defaults (model {DEFAULT_MODEL}, base URL {DEFAULT_BASE_URL}).
variables: OPENAI_API_KEY (required), OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_INSTRUCTIONS,
  OPENAI_TEMPERATURE, OPENAI_REASONING_EFFORT, OPENAI_STORE, HISTORY_DATABASE_URL.
  The key is never taken from the command line, so it stays out of your shell history.

chatting: type a message and press Enter; the answer streams as it arrives, followed by its
  token usage. An empty line, "exit", "quit" or Ctrl-D ends the chat; Ctrl-C stops an answer.
  The conversation id is printed at the start: pass it to --conversation to continue later,
  here or in the app (?conversation=conv_...). --fork conv_... --at N copies its first N turns
  into a new conversation and chats there; the original stays as it was.
  Each answer is recorded in the app's history
  (HISTORY_DATABASE_URL, default .data/history.db in the current directory).

exit status: 0 after a chat; 1 when the API refuses to start (a refused key, an unknown
  conversation); 2 for a missing key or bad settings."""


def no_record(settings: Settings, turn: Turn, conversation_id: str | None, previous_id: str | None) -> None:
    """Record nothing (--no-history)."""


def history_recorder(cwd: Path) -> Recorder:
    """Record turns in the app's history store: HISTORY_DATABASE_URL, else .data/ under `cwd`, as the app does."""
    stores: dict[str, Any] = {}

    def record(settings: Settings, turn: Turn, conversation_id: str | None, previous_id: str | None) -> None:
        from lib.identity import local_owner
        from lib.store import HistoryStore, default_url
        from lib.turn_records import record_turn

        url = settings.history_url or default_url(cwd)
        if url not in stores:  # opened (and migrated) once, on the first answer
            stores[url] = HistoryStore(url, ttl_minutes=settings.ttl_minutes)
        store = stores[url]
        # A terminal is one person on their own machine: the owner the app gives that key in local mode.
        owner = local_owner(settings.api_key)
        record_turn(store, owner, turn, conversation_id, previous_id)

    return record


def build_parser() -> argparse.ArgumentParser:
    """The command line, with --help explaining settings and resuming."""
    description = "Chat with an OpenAI model in the terminal (Responses API), like the Responses Studio app."
    parser = argparse.ArgumentParser(
        prog="python -m lib.cli",
        description=description,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument("--conversation", metavar="CONV_ID", help="continue this conversation, printing its history")
    resume.add_argument(
        "--response",
        metavar="RESP_ID",
        help="continue the previous_response_id chain ending "
        "with this response, for servers without a Conversations API",
    )
    resume.add_argument(
        "--fork",
        metavar="CONV_ID",
        help="copy this conversation up to turn --at N into a new "
        "one (the original stays as it is), print the new id and chat in it",
    )
    parser.add_argument(
        "--at", metavar="N", type=int, help="with --fork: the last turn the copy keeps (default: every turn)"
    )
    parser.add_argument("--model", help=f"model (or Azure deployment) name; default OPENAI_MODEL or {DEFAULT_MODEL}")
    parser.add_argument("--instructions", help="system instructions for every turn; default OPENAI_INSTRUCTIONS")
    parser.add_argument(
        "--base-url", help=f"OpenAI-compatible /v1 endpoint; default OPENAI_BASE_URL or {DEFAULT_BASE_URL}"
    )
    parser.add_argument("--no-stream", action="store_true", help="print each answer once it is complete")
    parser.add_argument("--no-history", action="store_true", help="do not record this chat in the app's history")
    return parser


def read_secrets(paths: Iterable[Path]) -> dict[str, Any]:
    """Top-level values of Streamlit secrets files; earlier paths win, as the project's file does in the app."""
    merged: dict[str, Any] = {}
    for path in reversed(list(paths)):
        if path.is_file():
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            # Sections ([auth], [connections.*]) are not settings, as in lib.settings.secrets_dict.
            merged.update({k: v for k, v in data.items() if not isinstance(v, Mapping)})
    return merged


def load_settings(args: argparse.Namespace, environ: Mapping[str, str], cwd: Path) -> Settings:
    """Settings resolved exactly as the app does, with the options as the session layer."""
    chosen = {"model": args.model, "instructions": args.instructions, "base_url": args.base_url}
    paths = [cwd / ".streamlit" / "secrets.toml"]
    if environ.get("HOME"):
        paths.append(Path(environ["HOME"]) / ".streamlit" / "secrets.toml")
    dotenv = dotenv_values(cwd / ".env") if (cwd / ".env").is_file() else {}
    return resolve({k: v for k, v in chosen.items() if v is not None}, read_secrets(paths), environ, dotenv)


def open_thread(client: OpenAI, args: argparse.Namespace) -> tuple[Thread, list[Turn], bool]:
    """The thread to chat in, its earlier turns, and whether this run created it."""
    from lib.conversations import Thread, load_chain, load_conversation, start_conversation

    if args.conversation:
        return Thread(conversation_id=args.conversation), load_conversation(client, args.conversation), False
    if args.response:
        return Thread(last_response_id=args.response, chained=True), load_chain(client, args.response), False
    if args.fork:
        from lib.cli_fork import open_fork

        thread, turns, args.fork_note = open_fork(client, args.fork, args.at)
        return thread, turns, False
    # Created now rather than on the first turn: the id can be shown at once, and a bad key fails before typing.
    conversation_id = start_conversation(client, "")
    return Thread(conversation_id=conversation_id, chained=conversation_id is None), [], True


class Console:
    """Where the chat is written and read; notes are dimmed only on a real terminal."""

    def __init__(self, out: TextIO, read: Callable[[str], str]) -> None:
        self.out, self.read = out, read
        self.dim = out.isatty() and not os.environ.get("NO_COLOR")

    def write(self, text: str) -> None:
        """Write and flush, so streamed text shows at once."""
        self.out.write(text)
        self.out.flush()

    def note(self, text: str) -> None:
        """A line of secondary information."""
        self.write(f"\x1b[2m{text}\x1b[0m\n" if self.dim else f"{text}\n")


def other_items(turn: Turn) -> str:
    """Refusals and tool calls, which are not part of the turn's text."""
    parts = [f"[refused] {i.refusal}" for i in turn.items if i.refusal]
    parts += [f"[{i.type}]" for i in turn.items if i.type not in {"message", "reasoning"}]
    return "".join(f"\n{part}" for part in parts)


def print_history(console: Console, turns: list[Turn]) -> None:
    """The earlier turns of a resumed chat, as they were printed then."""
    for turn in turns:
        if turn.prompt:
            console.write(f"You: {turn.prompt}\n")
        console.write(f"Assistant: {turn.text}{other_items(turn)}\n\n")


def answer(client: OpenAI, settings: Settings, thread: Thread, prompt: str, console: Console, stream: bool) -> Turn:
    """Run one turn through lib.chat, printing its text as it grows; Ctrl-C stops it as the app's Stop does."""
    from lib.chat import TurnControl, run_turn

    control = TurnControl()

    def interrupt(signum: int, frame: Any) -> None:
        if control.stopped:  # a second Ctrl-C: stop waiting for the first to take effect
            raise KeyboardInterrupt
        control.stop()  # lib.chat closes the stream and cancels a background response

    console.write("Assistant: ")
    shown, notice, turn = "", None, Turn(prompt=prompt, model=settings.model)
    previous_handler = signal.signal(signal.SIGINT, interrupt)
    try:
        for turn in run_turn(client, settings, thread, prompt, control=control):
            if turn.notice and turn.notice != notice:  # retries, a dropped stream picked up again
                console.write(f"\n[{turn.notice}]\n")
            notice = turn.notice
            if stream and turn.text.startswith(shown) and len(turn.text) > len(shown):
                console.write(turn.text[len(shown) :])
                shown = turn.text
    except KeyboardInterrupt:
        turn.status, turn.error = "interrupted", "Stopped."
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    if not turn.text.startswith(shown):  # the final text is not what streamed: show it whole
        console.write("\n" + turn.text)
    elif not shown:
        console.write(turn.text)
    console.write(other_items(turn) + "\n" + (f"! {turn.error}\n" if turn.error else ""))
    usage = usage_line(turn.usage, turn.cost_usd, turn.latency_ms)
    console.note("[" + " · ".join(filter(None, [turn.model or "?", usage])) + "]")
    return turn


def chat(
    client: OpenAI, settings: Settings, thread: Thread, console: Console, stream: bool, record: Recorder, created: bool
) -> int:
    """Read prompts until the user leaves; returns how many turns were sent."""
    import openai

    from lib.conversations import title_from

    sent = 0
    while True:
        try:
            prompt = console.read("You: ")
        except (EOFError, KeyboardInterrupt):
            console.write("\n")
            return sent
        if prompt.strip().lower() in QUIT_WORDS:
            return sent
        previous_id = thread.last_response_id
        turn = answer(client, settings, thread, prompt, console, stream)
        sent += 1
        try:
            record(settings, turn, thread.conversation_id, previous_id)
        except Exception as error:  # noqa: BLE001 - a history problem must not end the chat
            console.write(f"! Not recorded in the history: {error}\n")
        if created and sent == 1 and thread.conversation_id:
            # Titled from the first prompt, as the app titles the conversations it creates.
            with suppress(openai.APIError):  # a missing title is cosmetic
                client.conversations.update(thread.conversation_id, metadata={"title": title_from(prompt)})
        if thread.chained and thread.last_response_id:
            console.note(f"(resume: --response {thread.last_response_id})")


def main(
    argv: list[str] | None = None,
    *,
    record: Recorder | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    read: Callable[[str], str] = input,
    out: TextIO | None = None,
) -> int:
    """Run the terminal chat (or `eval DATASET`); returns the exit status. `record` replaces the history store."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["eval"]:
        from lib.cli_eval import main as run_eval

        return run_eval(argv[1:], environ=os.environ if environ is None else environ, cwd=cwd or Path.cwd(), out=out)
    args = build_parser().parse_args(argv)
    console, cwd = Console(out or sys.stdout, read), cwd or Path.cwd()
    try:
        settings = load_settings(args, os.environ if environ is None else environ, cwd)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        print(f"Bad setting: {error}", file=sys.stderr)
        return 2
    if not settings.api_key:
        print(MISSING_KEY, file=sys.stderr)
        return 2
    import openai

    from lib.client import build_client
    from lib.errors import explain

    client = build_client(settings)
    if args.at is not None and (not args.fork or args.at < 1):
        print(BAD_AT, file=sys.stderr)
        return 2
    try:
        thread, history, created = open_thread(client, args)
    except ValueError as error:  # --at past the conversation's last turn
        print(str(error), file=sys.stderr)
        return 2
    except openai.APIError as error:
        print(
            explain(error, model=settings.model, endpoint=settings.endpoint, key_hint="OPENAI_API_KEY"), file=sys.stderr
        )
        if isinstance(error, openai.AuthenticationError):
            print(f"The key came from: {settings.source_of('api_key')}.", file=sys.stderr)
        return 1
    from lib.urls import mask_url

    console.note(f"Chatting with {settings.model} at {mask_url(settings.endpoint)}. Empty line or Ctrl-D to leave.")
    if args.fork and thread.conversation_id:
        from lib.cli_fork import announce

        announce(
            console,
            settings,
            cwd,
            thread.conversation_id,
            args.fork,
            len(history),
            args.fork_note,
            record=record is None and not args.no_history,
        )
    console.write(f"Conversation: {thread.conversation_id}\n" if thread.conversation_id else "")
    if thread.chained:
        console.note(NO_CONVERSATIONS)
    if history:
        console.note(f"Earlier in this conversation ({len(history)} turns):")
        print_history(console, history)
    if read is input and sys.stdin.isatty():
        with suppress(ImportError):  # not on Windows
            import readline  # noqa: F401 - importing it gives input() line editing and history
    record = record or (no_record if args.no_history else history_recorder(cwd))
    sent = chat(client, settings, thread, console, not args.no_stream, record, created)
    if created and not sent and thread.conversation_id:
        with suppress(openai.APIError):  # an unused conversation would only clutter the lists
            client.conversations.delete(thread.conversation_id)
    if thread.conversation_id and (sent or history):
        console.note(f"Resume with: python -m lib.cli --conversation {thread.conversation_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
