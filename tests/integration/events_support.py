"""What the events-feed tests share: the validator of docs/events.schema.json (every received
message is checked against it) and a WebSocket subscriber of a feed on its own thread."""
import asyncio
import json
import os
import threading
import time

import jsonschema
import websockets

from support import ROOT

SCHEMA = json.load(open(os.path.join(ROOT, "docs", "events.schema.json")))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def schema_errors(m, text=None):
    """The schema's complaints about message `m` (its text, if given, quoted for the report)."""
    where = f" in {text[:200]}" if text is not None else ""
    return [f"{e.message}{where}" for e in VALIDATOR.iter_errors(m)]


class FeedSubscriber:
    """A feed's subscriber until the first of: `seconds` pass, stop(), the server closes (its code
    in `close_code`), or a message satisfies `leave_after` (it closes itself; `close_code` "left").
    Keeps every message with its arrival time (monotonic) and the schema errors. `until_closed`:
    after `seconds`, still wait for the server's close (an item feed closes after its `end`)."""

    def __init__(self, port, path, seconds=60, leave_after=None, until_closed=False, max_size=2 ** 24):
        self.url = f"ws://127.0.0.1:{port}{path}"
        self.seconds = seconds
        self.leave_after = leave_after
        self.until_closed = until_closed
        self.max_size = max_size
        self.stamped, self.schema_errors = [], []  # stamped: [(arrival, message)]
        self.close_code = None
        self.error = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)
        self.thread.start()

    async def _run(self):
        try:
            async with websockets.connect(self.url, max_size=self.max_size) as ws:
                deadline = time.monotonic() + self.seconds
                while (left := deadline - time.monotonic()) > 0 and not self.stopping.is_set():
                    try:
                        text = await asyncio.wait_for(ws.recv(), min(left, 0.2))  # stop() seen within 0.2 s
                    except asyncio.TimeoutError:
                        continue
                    m = json.loads(text)
                    with self.lock:
                        self.schema_errors += schema_errors(m, text)
                        self.stamped.append((time.monotonic(), m))
                    if self.leave_after and self.leave_after(m):
                        await ws.close()
                        self.close_code = "left"
                        return
                if self.until_closed and not self.stopping.is_set():
                    await ws.recv()  # raises ConnectionClosed with the server's code
        except websockets.ConnectionClosed as e:
            self.close_code = e.code
        except Exception as e:  # noqa: BLE001 - reported by the tests
            self.error = repr(e)

    @property
    def messages(self):
        with self.lock:
            return [m for _, m in self.stamped]

    def of(self, kind, result=None):
        return [m for m in self.messages if m["type"] == kind and (result is None or m.get("result") == result)]

    def join(self):
        self.thread.join(self.seconds + 30)
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(10)
