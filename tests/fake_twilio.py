"""A fake Twilio REST server on 127.0.0.1 for tests: the real `twilio` SDK talks to it.

It answers the Messages and Calls resources the way Twilio does (form-encoded requests, JSON
answers in Twilio's shapes and RFC 2822 dates, Twilio's error bodies), records every request,
and can be told how to answer the next creates:

- `fail_next(status, code, times, retry_after)`: an error (429 with `Retry-After`, a 5xx...);
- `stall_next(seconds)`: store the message, then answer too late (the ambiguous case);
- `drop_next(store)`: read the request, store the message or not, close without answering;
- `slow_down(seconds)`: answer every create this late (a slow but working Twilio).

Messages and calls are stored `queued`. `receipts(...)` makes the fake post signed status
callbacks to the app, as Twilio does, and advance what it stores: after answering (`normal`),
before answering (`early`), or out of order with a duplicate (`out_of_order`). Each stored
record names its notification by the id at the end of its `StatusCallback` address
(`stored_per_notification`).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests as http
from twilio.request_validator import RequestValidator

API = r"^/2010-04-01/Accounts/(?P<account>\w+)/(?P<kind>Messages|Calls)"
RESOURCE = re.compile(API + r"\.json$")
INSTANCE = re.compile(API + r"/(?P<sid>\w+)\.json$")
#: The notification id at the end of a status callback address (`.../status/42`).
NOTIFICATION_ID = re.compile(r"/(\d+)/?(?:\?.*)?$")
#: Twilio's own error codes and messages for the statuses it answers with most.
ERRORS = {
    400: (21211, "The 'To' number is not a valid phone number."),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "An internal server error has occurred"),
    503: (20503, "Service Unavailable"),
}
RECEIPT_MODES = ("none", "normal", "early", "out_of_order")
#: What a call's status callback reports for each `StatusCallbackEvent`.
CALL_EVENTS = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress"}
SMS_STEPS = ["queued", "sent", "delivered"]
CALL_STEPS = ["initiated", "ringing", "in-progress", "completed"]
#: Keys of a stored record that are ours, not Twilio's: never in an answer.
PRIVATE = {"form", "events", "notification_id", "_created", "_sent", "_started", "_seq"}


@dataclass
class Plan:
    """How to answer one create request."""

    status: int = 201
    code: int | None = None
    stall: float = 0.0
    retry_after: float | None = None
    drop: bool = False
    store: bool = True

    @property
    def failing(self) -> bool:
        return self.code is not None or self.status >= 400


@dataclass
class Receipts:
    """Where and how status callbacks go: signed for `public`, posted to `target`."""

    target: str
    public: str
    auth_token: str
    mode: str = "none"
    #: Seconds between two receipts of one message.
    gap: float = 0.05
    #: Seconds before the first receipt after an answer (a carrier slow to report).
    delay: float = 0.0


@dataclass
class FakeTwilio:
    server: ThreadingHTTPServer
    #: Every create request (POST), as {"path", "form"}; GETs are in `log` only.
    requests: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    plans: deque[Plan] = field(default_factory=deque)
    #: Who asked what: every request with its method, path, query, form, time and answer.
    log: list[dict[str, Any]] = field(default_factory=list)
    #: Every status callback posted: its address, parameters and the app's answer.
    receipt_log: list[dict[str, Any]] = field(default_factory=list)
    #: Seconds every create waits before its answer (`slow_down`).
    delay: float = 0.0
    receipts_config: Receipts | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    in_flight: int = 0
    settled: threading.Condition = field(default_factory=threading.Condition)
    sequence: int = 0

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    # How to answer the next creates.

    def fail_next(
        self,
        status: int,
        code: int | None = None,
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next `times` creates with `status` and Twilio's error body."""
        with self.lock:
            self.plans.extend(
                Plan(status=status, code=code, retry_after=retry_after) for _ in range(times)
            )

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Store the next creates, then answer `seconds` late (after the client gave up)."""
        with self.lock:
            self.plans.extend(Plan(stall=seconds) for _ in range(times))

    def drop_next(self, store: bool, times: int = 1) -> None:
        """Read the next creates whole, store them (or not), and close without a word."""
        with self.lock:
            self.plans.extend(Plan(drop=True, store=store) for _ in range(times))

    def slow_down(self, seconds: float) -> None:
        """Store every create at once but answer it `seconds` later (0: at once again)."""
        self.delay = seconds

    def receipts(
        self,
        target: str | None = None,
        public: str | None = None,
        auth_token: str | None = None,
        mode: str = "none",
        gap: float = 0.05,
        delay: float = 0.0,
    ) -> None:
        """Post status callbacks for creates that ask for them, and advance what is stored.

        Signed with `auth_token` over the callback address as given (under `public`), posted
        to the same path under `target`. Modes: `none` (no receipts, records stay queued),
        `normal` (after the answer: SMS queued, sent, delivered; calls initiated, ringing,
        in-progress, completed, as far as `StatusCallbackEvent` asks), `early` (all of them
        answered before the create's answer is written), `out_of_order` (after the answer:
        the final one first, then the others, then the final one again). `gap` is the time
        between two receipts, `delay` the time before the first one after the answer.
        """
        if mode not in RECEIPT_MODES:
            raise ValueError(f"mode must be one of {RECEIPT_MODES}")
        if mode == "none":
            self.receipts_config = None
            return
        if not (target and public and auth_token):
            raise ValueError("receipts need target, public and auth_token")
        config = Receipts(target, public.rstrip("/"), auth_token, mode, gap, delay)
        self.receipts_config = config

    def reset(self) -> None:
        """Forget every record, request and plan (the receipts' settings stay)."""
        self.wait_for_receipts()
        with self.lock:
            for kept in (self.requests, self.messages, self.calls, self.log, self.receipt_log):
                kept.clear()
            self.plans.clear()
            self.delay = 0.0

    # What the fake holds.

    @staticmethod
    def notification_id(record: dict[str, Any]) -> int | None:
        """The notification a stored record belongs to, from its status callback address."""
        match = NOTIFICATION_ID.search(record["form"].get("StatusCallback") or "")
        return int(match.group(1)) if match else None

    def stored_per_notification(self) -> Counter[int]:
        """How many messages and calls are stored for each notification id."""
        with self.lock:
            records = [*self.messages, *self.calls]
        ids = (self.notification_id(record) for record in records)
        return Counter(i for i in ids if i is not None)

    def records_for(self, notification_id: int) -> list[dict[str, Any]]:
        with self.lock:
            records = [*self.messages, *self.calls]
        return [r for r in records if self.notification_id(r) == notification_id]

    def wait_for_receipts(self, timeout: float = 30.0) -> bool:
        """Wait until no status callback is being posted; False if some still are."""
        with self.settled:
            return self.settled.wait_for(lambda: self.in_flight == 0, timeout)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # Inside the server.

    def next_plan(self) -> Plan:
        with self.lock:
            return self.plans.popleft() if self.plans else Plan()

    def note(self, method: str, path: str, form: dict[str, Any]) -> dict[str, Any]:
        parsed = urlparse(path)
        entry = {
            "method": method,
            "path": parsed.path,
            "query": {k: v[0] for k, v in parse_qs(parsed.query).items()},
            "form": form,
            "at": time.time(),
            "answer": None,
        }
        with self.lock:
            self.log.append(entry)
            if method == "POST":
                self.requests.append({"path": path, "form": form})
        return entry

    def store(self, kind: str, account: str, form: dict[str, str], events: list[str]) -> dict:
        now = datetime.now(UTC)
        with self.lock:
            self.sequence += 1
            prefix = "SM" if kind == "Messages" else "CA"
            sid = prefix + uuid.uuid4().hex
            record: dict[str, Any] = {
                "sid": sid,
                "account_sid": account,
                "to": form.get("To"),
                "from": form.get("From"),
                "status": "queued",
                "date_created": _rfc2822(now),
                "date_updated": _rfc2822(now),
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{account}/{kind}/{sid}.json",
                "form": form,
                "events": events,
                "notification_id": None,
                "_created": now,
                "_sent": None,
                "_started": None,
                "_seq": self.sequence,
            }
            if kind == "Messages":
                record.update(
                    body=form.get("Body"),
                    date_sent=None,
                    messaging_service_sid=form.get("MessagingServiceSid"),
                    num_segments="1",
                    error_code=None,
                    error_message=None,
                    price=None,
                    price_unit="USD",
                )
                self.messages.append(record)
            else:
                record.update(start_time=None, end_time=None, duration=None, answered_by=None)
                self.calls.append(record)
            record["notification_id"] = self.notification_id(record)
            return record

    def advance(self, record: dict[str, Any], status: str) -> None:
        """Move a stored record to `status` (never back), with the dates Twilio sets."""
        now = datetime.now(UTC)
        steps = SMS_STEPS if record["sid"].startswith("SM") else CALL_STEPS
        with self.lock:
            current = steps.index(record["status"]) if record["status"] in steps else -1
            if status in steps and steps.index(status) <= current:
                return
            record["status"] = status
            record["date_updated"] = _rfc2822(now)
            if record["sid"].startswith("SM"):
                if status in ("sent", "delivered") and record["_sent"] is None:
                    record["_sent"] = now
                    record["date_sent"] = _rfc2822(now)
            else:
                if record["_started"] is None:
                    record["_started"] = now
                    record["start_time"] = _rfc2822(now)
                if status == "completed":
                    record["end_time"] = _rfc2822(now)
                    record["duration"] = str(max(1, int((now - record["_started"]).seconds)))

    def receipt_steps(self, record: dict[str, Any], mode: str) -> list[str]:
        if record["sid"].startswith("SM"):
            steps = list(SMS_STEPS)
        else:
            asked = {CALL_EVENTS[e] for e in record["events"] if e in CALL_EVENTS}
            steps = [s for s in CALL_STEPS if s in asked or s == "completed"]
        if mode == "out_of_order":
            return [steps[-1], *steps[:-1], steps[-1]]
        return steps

    def send_receipts(self, record: dict[str, Any], config: Receipts) -> None:
        """Post every receipt of `record` in turn (the caller counted it in flight)."""
        try:
            if config.delay and config.mode != "early":
                time.sleep(config.delay)
            for i, status in enumerate(self.receipt_steps(record, config.mode)):
                if i and config.gap:
                    time.sleep(config.gap)
                self.advance(record, status)
                if record["form"].get("StatusCallback"):
                    self.post_receipt(record, status, config)
        finally:
            with self.settled:
                self.in_flight -= 1
                self.settled.notify_all()

    def post_receipt(self, record: dict[str, Any], status: str, config: Receipts) -> None:
        url = record["form"]["StatusCallback"]
        params = _receipt_params(record, status)
        signature = RequestValidator(config.auth_token).compute_signature(url, params)
        if url.startswith(config.public):
            local = config.target.rstrip("/") + url[len(config.public) :]
        else:  # signed as given, posted to the same path here
            parsed = urlparse(url)
            local = config.target.rstrip("/") + parsed.path
            local += f"?{parsed.query}" if parsed.query else ""
        entry: dict[str, Any] = {
            "url": url,
            "params": params,
            "notification_id": record["notification_id"],
            "at": time.time(),
        }
        try:
            answer = http.post(
                local,
                data=params,
                headers={"X-Twilio-Signature": signature},
                timeout=10,
                allow_redirects=False,
            )
            entry["status"] = answer.status_code
        except http.RequestException as error:
            entry["status"], entry["error"] = None, str(error)
        with self.lock:
            self.receipt_log.append(entry)

    def receipts_after(self, record: dict[str, Any] | None) -> Receipts | None:
        """The receipts that will follow the answer to `record`'s create, counted in flight
        from now (before the answer), so `wait_for_receipts` cannot miss them."""
        config = self.receipts_config
        if record is None or config is None or config.mode == "early":
            return None
        with self.settled:
            self.in_flight += 1
        return config

    def after_create(self, record: dict[str, Any] | None, config: Receipts | None) -> None:
        """Once the create is answered (or dropped): its receipts, if they come after."""
        if record is not None and config is not None:
            thread = threading.Thread(target=self.send_receipts, args=(record, config))
            thread.daemon = True
            thread.start()

    def before_answer(self, record: dict[str, Any] | None) -> None:
        """In `early` mode: every receipt posted and answered before the create's answer."""
        config = self.receipts_config
        if record is None or config is None or config.mode != "early":
            return
        with self.settled:
            self.in_flight += 1
        self.send_receipts(record, config)

    def listing(self, kind: str, account: str, query: dict[str, list[str]]) -> dict[str, Any]:
        """A page of a list resource, filtered as Twilio filters, newest first."""
        one = {k: v[0] for k, v in query.items()}
        with self.lock:
            records = list(self.messages if kind == "Messages" else self.calls)
        records = [r for r in records if r["account_sid"] == account]
        for name, key in (("To", "to"), ("From", "from"), ("Status", "status")):
            if name in one:
                records = [r for r in records if r[key] == one[name]]
        moment = "_sent" if kind == "Messages" else "_started"
        prefix = "DateSent" if kind == "Messages" else "StartTime"
        for suffix in ("", ">", "<"):
            if prefix + suffix in one:
                bound = _parse_filter(one[prefix + suffix])
                records = [r for r in records if _within(r[moment], bound, suffix)]
        records.sort(key=lambda r: (r["_created"], r["_seq"]), reverse=True)
        size = min(int(one.get("PageSize", 50)), 1000)
        page = int(one.get("Page", 0))
        chunk = records[page * size : (page + 1) * size]
        path = f"/2010-04-01/Accounts/{account}/{kind}.json"
        filters = {k: v for k, v in one.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(number: int) -> str:
            return f"{path}?{urlencode({**filters, 'PageSize': size, 'Page': number})}"

        more = (page + 1) * size < len(records)
        next_uri = f"{uri(page + 1)}&PageToken=PA{page + 1}" if more else None
        return {
            kind.lower(): [public(r) for r in chunk],
            "end": page * size + max(len(chunk) - 1, 0),
            "first_page_uri": uri(0),
            "next_page_uri": next_uri,
            "previous_page_uri": uri(page - 1) if page else None,
            "page": page,
            "page_size": size,
            "start": page * size,
            "uri": uri(page),
        }

    def find(self, kind: str, sid: str) -> dict[str, Any] | None:
        with self.lock:
            records = self.messages if kind == "Messages" else self.calls
            return next((r for r in records if r["sid"] == sid), None)


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record as Twilio answers it (without our bookkeeping)."""
    return {k: v for k, v in record.items() if k not in PRIVATE}


def error_body(status: int, code: int | None) -> dict[str, Any]:
    known_code, message = ERRORS.get(status, (None, "fake error"))
    code = code if code is not None else known_code
    return {
        "code": code,
        "message": message if code == known_code else f"fake error {code}",
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _rfc2822(moment: datetime) -> str:
    """Twilio's date format: 'Tue, 24 Nov 2026 08:00:00 +0000'."""
    return format_datetime(moment.replace(microsecond=0))


def _parse_filter(value: str) -> date | datetime:
    """A list filter's value: a day (YYYY-MM-DD) or an instant (YYYY-MM-DDTHH:MM:SSZ)."""
    if "T" in value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return date.fromisoformat(value)


def _within(moment: datetime | None, bound: date | datetime, suffix: str) -> bool:
    """Whether `moment` is on or after (`>`), on or before (`<`) or on (no suffix) `bound`.

    A record without the date (a message still queued has no date_sent) never passes.
    """
    if moment is None:
        return False
    value: date | datetime = moment
    if not suffix and isinstance(bound, datetime):  # `DateSent=`: that day (the SDK sends
        bound = bound.date()  # a date as its midnight)
    if not isinstance(bound, datetime):
        value = moment.date()
    if suffix == ">":
        return value >= bound
    if suffix == "<":
        return value <= bound
    return value == bound


def _receipt_params(record: dict[str, Any], status: str) -> dict[str, str]:
    common = {
        "AccountSid": record["account_sid"],
        "From": record["from"] or "",
        "To": record["to"] or "",
        "ApiVersion": "2010-04-01",
    }
    if record["sid"].startswith("SM"):
        return {
            **common,
            "MessageSid": record["sid"],
            "SmsSid": record["sid"],
            "MessageStatus": status,
            "SmsStatus": status,
        }
    params = {
        **common,
        "CallSid": record["sid"],
        "CallStatus": status,
        "Direction": "outbound-api",
        "CallbackSource": "call-progress-events",
        "Timestamp": _rfc2822(datetime.now(UTC)),
    }
    if status == "completed":
        params["CallDuration"] = record["duration"] or "1"
    return params


class _Server(ThreadingHTTPServer):
    # Senders call from several threads and processes at once: the default backlog of 5 drops
    # connections, and a dropped SYN costs the client a 1-second retransmit.
    request_queue_size = 256
    daemon_threads = True


def start() -> FakeTwilio:
    fake: FakeTwilio

    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as Twilio does: a sender's connection serves request after request.
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without this, Nagle holds the body until the
        # client's delayed ACK (40 ms a request once the connection is kept).
        disable_nagle_algorithm = True

        def log_message(self, *_: Any) -> None:
            pass

        def _answer(self, status: int, payload: dict[str, Any], **headers: str) -> None:
            body = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up waiting (a stall): Twilio answers into the void too

        def _not_found(self) -> None:
            self._answer(404, error_body(404, None))

        def _drop(self) -> None:
            """Close the connection without a byte of answer."""
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def do_GET(self) -> None:  # noqa: N802  (http.server's names)
            parsed = urlparse(self.path)
            entry = fake.note("GET", self.path, {})
            entry["answer"] = 200
            if match := RESOURCE.match(parsed.path):
                query = parse_qs(parsed.query)
                self._answer(200, fake.listing(match["kind"], match["account"], query))
            elif (match := INSTANCE.match(parsed.path)) and (
                record := fake.find(match["kind"], match["sid"])
            ):
                self._answer(200, public(record))
            else:
                entry["answer"] = 404
                self._not_found()

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            values = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            form = {k: v[0] for k, v in values.items()}
            entry = fake.note("POST", self.path, form)
            match = RESOURCE.match(self.path)
            if not match:
                entry["answer"] = 404
                self._not_found()
                return
            plan = fake.next_plan()
            if plan.failing:
                entry["answer"] = plan.status
                headers = {}
                if plan.retry_after is not None:
                    headers["Retry-After"] = f"{plan.retry_after:g}"
                self._answer(plan.status, error_body(plan.status, plan.code), **headers)
                return
            # A list goes as repeated parameters; a string may name several, spaced.
            events = [e for v in values.get("StatusCallbackEvent", []) for e in v.split()]
            record = (
                fake.store(match["kind"], match["account"], form, events) if plan.store else None
            )
            entry["sid"] = record["sid"] if record else None
            answer = public(record) if record else {}  # as stored: queued, not yet sent
            later = fake.receipts_after(record)
            if plan.drop:
                entry["answer"] = "dropped"
                self._drop()
                fake.after_create(record, later)
                return
            fake.before_answer(record)
            if plan.stall or fake.delay:
                time.sleep(plan.stall or fake.delay)
            entry["answer"] = 201
            self._answer(201, answer)
            fake.after_create(record, later)

    server = _Server(("127.0.0.1", 0), Handler)
    fake = FakeTwilio(server=server)
    # A short poll: stop() returns at once, not after half a second.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return fake
