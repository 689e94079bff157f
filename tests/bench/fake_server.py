"""The double in its own process, answering every response with the benchmark answer.

`python -m tests.bench.fake_server --deltas 2000 --delay 0` prints its base URL on the first line, then
serves until killed. A prompt may override the pacing with a tag such as `[deltas=600 delay=0.01]`,
so one server (and one app pointed at it) serves every scenario of a benchmark.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from typing import Any

from tests.bench.support import long_answer
from tests.fake_openai import FakeOpenAI, Text
from tests.fake_openai.items import last_user_text
from tests.fake_openai.server import Recorded, route_of

_TAG = re.compile(r"\[deltas=(\d+) delay=([0-9.]+)\]")


class FixedFake(FakeOpenAI):
    """Every `POST /v1/responses` gets the long answer, paced as its prompt's tag (or the defaults) say."""

    def __init__(self, answer: str, deltas: int, delay: float, **options: Any) -> None:
        super().__init__(**options)
        self._answer, self._deltas, self._delay = answer, deltas, delay
        self._pacing = threading.local()  # a handler thread answers one request at a time

    def answer(self, request: Recorded) -> Any:
        body = request.body if isinstance(request.body, dict) else {}
        self._pacing.value = (self._deltas, self._delay)
        tag = _TAG.search(last_user_text(body.get("input")) or "")
        if tag and request.method == "POST" and route_of(request.path) == "/responses":
            self._pacing.value = (int(tag.group(1)), float(tag.group(2)))
        return super().answer(request)

    def _record(self, request: Recorded) -> None:
        """Keep no log: a benchmark sends thousands of requests and reads none back."""

    def _next_script(self, body: Any = None) -> Text:
        deltas, delay = getattr(self._pacing, "value", (self._deltas, self._delay))
        return Text(self._answer, deltas=deltas, delay=delay)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.fake_server", description=__doc__)
    parser.add_argument("--deltas", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--size", type=int, default=15_000, help="answer size in bytes")
    args = parser.parse_args(argv)
    fake = FixedFake(long_answer(args.size), args.deltas, args.delay).start()
    print(fake.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
