"""A fake Twilio REST server on 127.0.0.1 for tests: the real `twilio` SDK talks to it.

It answers the Messages and Calls resources the way Twilio does (form-encoded requests, JSON
answers, Twilio's error bodies), records every request, and can be told how to answer the next
ones: `fail_next(status, code)` for an error, `stall_next(seconds)` for a read timeout after
the message was stored (the ambiguous case).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

RESOURCE = re.compile(r"^/2010-04-01/Accounts/(?P<account>\w+)/(?P<kind>Messages|Calls)\.json$")


@dataclass
class Plan:
    status: int = 201
    code: int | None = None
    stall: float = 0.0


@dataclass
class FakeTwilio:
    server: ThreadingHTTPServer
    requests: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    plans: deque[Plan] = field(default_factory=deque)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, status: int, code: int | None = None, times: int = 1) -> None:
        self.plans.extend(Plan(status=status, code=code) for _ in range(times))

    def stall_next(self, seconds: float) -> None:
        self.plans.append(Plan(stall=seconds))

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Server(ThreadingHTTPServer):
    # Senders call from several threads and processes at once: the default backlog of 5 drops
    # connections, and a dropped SYN costs the client a 1-second retransmit.
    request_queue_size = 256
    daemon_threads = True


def start() -> FakeTwilio:
    fake: FakeTwilio

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802  (http.server's names)
            parsed = urlparse(self.path)
            match = RESOURCE.match(parsed.path)
            if not match or match["kind"] != "Messages":
                self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                return
            query = parse_qs(parsed.query)
            to = query.get("To", [None])[0]
            found = [m for m in fake.messages if to is None or m["to"] == to]
            self._answer(200, {"messages": found, "next_page_uri": None, "page": 0})

        def do_POST(self) -> None:  # noqa: N802
            match = RESOURCE.match(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            fake.requests.append({"path": self.path, "form": form})
            if not match:
                self._answer(404, {"code": 20404, "message": "not found", "status": 404})
                return
            plan = fake.plans.popleft() if fake.plans else Plan()
            if plan.code is not None or plan.status >= 400:
                self._answer(
                    plan.status,
                    {
                        "code": plan.code,
                        "message": f"fake error {plan.code}",
                        "more_info": "https://www.twilio.com/docs/errors",
                        "status": plan.status,
                    },
                )
                return
            prefix = "SM" if match["kind"] == "Messages" else "CA"
            record = {
                "sid": prefix + uuid.uuid4().hex,
                "account_sid": match["account"],
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "date_created": "Tue, 24 Nov 2026 08:00:00 +0000",
            }
            (fake.messages if prefix == "SM" else fake.calls).append({**record, "form": form})
            if plan.stall:
                time.sleep(plan.stall)  # stored, but the answer comes too late
            self._answer(201, record)

    server = _Server(("127.0.0.1", 0), Handler)
    fake = FakeTwilio(server=server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake
