"""The sandbox payer: a threaded HTTP server answering CAQH CORE real-time X12 270s with 271s,
in the MIME multipart or (Content-Type application/soap+xml) the SOAP envelope.

POST /core (any path but /healthz): multipart/form-data CORE envelope with PayloadType
X12_270_Request_005010X279A1 and the 270 in Payload; the answer is a CORE envelope with PayloadType
X12_271_Response_005010X279A1 and the 271 in Payload. Envelope or 270 errors answer 400 with
PayloadType CoreEnvelopeError. POST /eligibility/v3: the clearinghouse JSON shape
(coverage/sandbox/json_api.py), and POST /fhir/CoverageEligibilityRequest: FHIR R4
(coverage/sandbox/fhir_api.py), both with the same personas and faults. GET /healthz answers 200;
GET /stats answers the call counters as JSON (calls, in_flight, peak_in_flight), so a benchmark
can check a concurrency cap from outside the process. It logs no request content (PHI).
"""

import json
import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from coverage.sandbox.faults import Fault, FaultPlan
from coverage.sandbox.fhir_api import answer_fhir
from coverage.sandbox.json_api import answer_json
from coverage.sandbox.personas import answer_271
from coverage.x12 import core_mime, core_soap
from coverage.x12.errors import X12ParseError
from coverage.x12.reader_270 import read_270
from coverage.x12.writer_270 import Envelope270, write_interchange

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000
JSON_PATH = "/eligibility/v3"
FHIR_PATH = "/fhir/CoverageEligibilityRequest"


class Counters:
    """What the tests look at: calls received and the most answered at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.call_times: list[float] = []
        # (arrival, member ID or None, Retry-After sent): lets a test check retry spacing
        self.by_member: list[tuple[float, str | None, float | None]] = []

    def arrived(self, member: str | None, retry_after: float | None = None) -> None:
        with self._lock:
            self.by_member.append((time.monotonic(), member, retry_after))

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {
                "calls": self.calls,
                "in_flight": self.in_flight,
                "peak_in_flight": self.peak_in_flight,
            }

    @contextmanager
    def call(self) -> Iterator[Callable[[], None]]:
        """One call in flight from its arrival until `answered()` (its answer is ready to send)
        or its end, whichever comes first. Once the answer is on the wire the caller may start
        its next call before this thread runs again; that is not two calls at once."""
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            self.call_times.append(time.monotonic())
        done = False

        def answered() -> None:
            nonlocal done
            with self._lock:
                if not done:
                    done = True
                    self.in_flight -= 1

        try:
            yield answered
        finally:
            answered()


class SandboxPayer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int] = ("127.0.0.1", 0),
        *,
        faults: FaultPlan | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.faults = faults or FaultPlan()
        self.credentials = credentials
        self.counters = Counters()
        self._control = 0
        self._control_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/core"

    @property
    def json_url(self) -> str:
        return self.url.removesuffix("/core") + JSON_PATH

    @property
    def fhir_url(self) -> str:
        return self.url.removesuffix("/core") + FHIR_PATH

    def next_control_number(self) -> int:
        with self._control_lock:
            self._control = self._control % 999_999_999 + 1
            return self._control

    def start(self) -> "SandboxPayer":
        """Serve in a background thread (tests and benchmarks); `serve_forever` for the CLI."""
        self._thread = threading.Thread(
            target=self.serve_forever, name="sandbox-payer", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "SandboxPayer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(
        self, fields: dict[str, str], *, unavailable: bool = False
    ) -> tuple[int, dict[str, str]]:
        """Status and CORE fields for one request's envelope fields (`unavailable`: AAA 42)."""
        missing = [f for f in core_mime.REQUIRED_REQUEST_FIELDS if not fields.get(f)]
        if missing:
            return self._envelope_error("MissingFields", f"missing: {', '.join(missing)}", fields)
        if fields["PayloadType"] != core_mime.REQUEST_270:
            return self._envelope_error("PayloadTypeIncorrect", "expected a 270 request", fields)
        if fields["ProcessingMode"] != core_mime.REAL_TIME:
            return self._envelope_error("ProcessingModeNotSupported", "RealTime only", fields)
        if (
            self.credentials
            and (fields.get("UserName"), fields.get("Password")) != self.credentials
        ):
            return self._envelope_error(
                "UnAuthorized", "user name or password rejected", fields, 401
            )
        try:
            interchange, inquiries = read_270(fields["Payload"])
        except X12ParseError as exc:
            return self._envelope_error("PayloadInvalid", str(exc), fields)
        now = datetime.now()
        transactions = [
            answer_271(inquiry, control=f"{n + 1:04d}", now=now, unavailable=unavailable)
            for n, inquiry in enumerate(inquiries)
        ]
        envelope = Envelope270(
            sender_id=interchange.receiver_id[:15] or "SANDBOX",
            receiver_id=interchange.sender_id[:15] or "SUBMITTER",
            sender_qualifier=interchange.receiver_qualifier or "ZZ",
            receiver_qualifier=interchange.sender_qualifier or "ZZ",
            interchange_control_number=self.next_control_number(),
            created=now,
            usage=interchange.usage or "T",
        )
        text = write_interchange(transactions, envelope, functional_id="HB")
        reply = core_mime.envelope(
            payload_type=core_mime.RESPONSE_271,
            payload=text,
            sender_id=fields["ReceiverID"],
            receiver_id=fields["SenderID"],
            payload_id=fields["PayloadID"],
        )
        return 200, {**reply, "ErrorCode": core_mime.SUCCESS, "ErrorMessage": ""}

    def _envelope_error(
        self, code: str, message: str, fields: dict[str, str], status: int = 400
    ) -> tuple[int, dict[str, str]]:
        reply = core_mime.envelope(
            payload_type=core_mime.ENVELOPE_ERROR,
            payload="",
            sender_id=fields.get("ReceiverID", ""),
            receiver_id=fields.get("SenderID", ""),
            payload_id=fields.get("PayloadID") or None,
        )
        return status, {**reply, "ErrorCode": code, "ErrorMessage": message}


def _member_of(body: bytes, content_type: str) -> str | None:
    """The member asked about, for the call log; None when the request cannot be read."""
    try:
        _, inquiries = read_270(core_mime.decode(body, content_type)["Payload"])
        return inquiries[0].subscriber.member_id or None
    except (ValueError, KeyError, IndexError, X12ParseError):
        return None


class _Handler(BaseHTTPRequestHandler):
    server: SandboxPayer
    protocol_version = "HTTP/1.1"
    _answered: Callable[[], None] | None = None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("sandbox payer: %s", format % args)  # method, path, status: no content

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/healthz":
            self._send(200, b"ok", "text/plain")
        elif self.path == "/stats":
            stats = json.dumps(self.server.counters.snapshot()).encode()
            self._send(200, stats, "application/json")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        with self.server.counters.call() as answered:
            self._answered = answered
            try:
                self._post()
            finally:
                self._answered = None

    def _post(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            self._send(411 if length <= 0 else 413, b"body length", "text/plain")
            return
        body = self.rfile.read(length)
        delay, fault = self.server.faults.draw()
        self.server.counters.arrived(
            _member_of(body, self.headers.get("Content-Type", "")),
            self.server.faults.retry_after_seconds if fault is Fault.HTTP_503 else None,
        )
        if delay:
            time.sleep(delay)
        if fault is Fault.DROP:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is Fault.TIMEOUT and self._client_left_within(self.server.faults.timeout_seconds):
            return  # the caller gave up: its call is over for the payer too
        if fault in (Fault.HTTP_503, Fault.HTTP_500):
            status = 503 if fault is Fault.HTTP_503 else 500
            headers = (
                {"Retry-After": str(self.server.faults.retry_after_seconds)}
                if status == 503
                else {}
            )
            self._send(status, b"payer unavailable", "text/plain", headers)
            return
        if self.path in (JSON_PATH, FHIR_PATH):
            self._post_json(body, fault)
            return
        content_type = self.headers.get("Content-Type", "")
        soap = content_type.lower().startswith("application/soap+xml")
        try:
            fields = (
                core_soap.decode(body, content_type, element=core_soap.REQUEST)
                if soap
                else core_mime.decode(body, content_type)
            )
        except ValueError as exc:
            self._send(400, str(exc).encode(), "text/plain")
            return
        status, reply = self.server.answer(fields, unavailable=fault is Fault.AAA_42)
        if fault is Fault.MALFORMED and status == 200:
            payload = reply["Payload"]
            reply["Payload"] = payload[: payload.find("SE*")] if "SE*" in payload else payload[:50]
        if soap:
            data, reply_type = core_soap.encode(reply, element=core_soap.RESPONSE)
        else:
            data, reply_type = core_mime.encode(reply)
        self._send(status, data, reply_type)

    def _post_json(self, body: bytes, fault: Fault | None) -> None:
        fhir = self.path == FHIR_PATH
        answer = answer_fhir if fhir else answer_json
        status, reply = answer(body, unavailable=fault is Fault.AAA_42)
        data = json.dumps(reply).encode()
        if fault is Fault.MALFORMED and status == 200:
            data = data[: len(data) // 2]
        self._send(status, data, "application/fhir+json" if fhir else "application/json")

    def _client_left_within(self, seconds: float) -> bool:
        """Waits up to `seconds`; True as soon as the caller closes the connection."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.01))
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                self.close_connection = True
                return True
        return False

    def _send(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        if self._answered is not None:
            self._answered()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
