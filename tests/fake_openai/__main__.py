"""Run the double standalone: `python -m tests.fake_openai --port 8765`."""

from __future__ import annotations

import argparse
import time

from .server import DEFAULT_MODELS, FakeOpenAI


def main(argv: list[str] | None = None) -> None:
    """Serve the default echo answer until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tests.fake_openai", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", action="append", dest="api_keys", help="accept only these keys (repeatable)")
    parser.add_argument("--no-conversations", action="store_true", help="answer 404 on /v1/conversations")
    parser.add_argument("--model", action="append", dest="models", help="models listed by /v1/models (repeatable)")
    args = parser.parse_args(argv)
    fake = FakeOpenAI(
        models=args.models or DEFAULT_MODELS,
        api_keys=args.api_keys,
        conversations=not args.no_conversations,
        host=args.host,
        port=args.port,
    ).start()
    print(f"Fake OpenAI listening on {fake.base_url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
