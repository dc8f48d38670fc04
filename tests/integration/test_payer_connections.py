"""A payer's host name is resolved once per call, every address it resolves to is checked, and the
connection goes to the checked address, so a DNS answer changed between the check and the connect
(rebinding) reaches nothing; TLS still verifies the certificate for the name. A real TLS server on
127.0.0.1 answers; only the resolver (socket.getaddrinfo) is replaced, never the payer."""

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme

from coverage.adapters import http
from coverage.errors import PayerPermanentError, PayerTransientError

NAME = "payer.rebind.test"
_SYSTEM_GETADDRINFO = socket.getaddrinfo


class _Payer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = f"answered for {self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def tls_payer(ca: trustme.CA, certificate_for: str) -> Iterator[int]:
    """A payer on 127.0.0.1 over TLS with a certificate for `certificate_for`; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Payer)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(certificate_for).configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A test CA that requests trusts (verify=True reads REQUESTS_CA_BUNDLE)."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    return authority


class Resolver:
    """Answers NAME with the next list of `answers` (the last repeats) and counts the lookups;
    any other host (the pinned address itself) goes to the system resolver."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = answers
        self.lookups = 0

    def __call__(self, host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host != NAME:
            return _SYSTEM_GETADDRINFO(host, port, *args, **kwargs)
        answer = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answer
        ]


def resolver(monkeypatch: pytest.MonkeyPatch, *answers: list[str]) -> Resolver:
    fake = Resolver(*answers)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


def call(port: int = 443, session: requests.Session | None = None) -> requests.Response:
    return http.post(
        session or requests.Session(),
        f"https://{NAME}:{port}/core",
        payer="rebind",
        timeout=(2, 5),
        data=b"270",
    )


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (["10.0.0.5"], "a private address"),
        (["93.184.215.14", "169.254.169.254"], "a link-local address (where cloud metadata "
         "services answer)"),
        (["fd12:3456::7"], "a private address"),
        (["::ffff:169.254.169.254"], "a link-local address (where cloud metadata services answer)"),
    ],
)  # fmt: skip
def test_a_name_that_resolves_to_a_forbidden_address_is_refused_at_call_time(
    monkeypatch: pytest.MonkeyPatch, answer: list[str], kind: str
) -> None:
    lookups = resolver(monkeypatch, answer)
    with pytest.raises(PayerPermanentError) as refused:
        call()
    assert (
        str(refused.value)
        == f"payer rebind: call refused, the payer's host name resolves to {kind}"
    )
    assert refused.value.action == (
        "The payer's address now leads to a network the service may not call: "
        "an operator must check the payer's address before re-running."
    )
    assert lookups.lookups == 1


def test_a_rebinding_answer_cannot_move_the_connection(
    monkeypatch: pytest.MonkeyPatch, ca: trustme.CA
) -> None:
    lookups = resolver(monkeypatch, ["127.0.0.1"], ["10.0.0.5"])
    with tls_payer(ca, NAME) as port:
        reply = call(port)
        # One lookup, checked, and the connection went to that address; TLS checked the name.
        assert reply.content == f"answered for {NAME}:{port}".encode()
        assert lookups.lookups == 1
        # The next call resolves afresh: the new answer is checked, and refused.
        with pytest.raises(PayerPermanentError, match="resolves to a private address$"):
            call(port)
        assert lookups.lookups == 2


def test_the_pinned_connection_still_verifies_the_certificate_for_the_name(
    monkeypatch: pytest.MonkeyPatch, ca: trustme.CA
) -> None:
    lookups = resolver(monkeypatch, ["127.0.0.1"])
    with tls_payer(ca, "someone-else.test") as port:
        with pytest.raises(PayerTransientError) as failed:
            call(port)
    assert str(failed.value) == "payer rebind: connection failed"
    assert lookups.lookups == 1


def test_a_session_with_its_own_transport_mounted_is_pinned_all_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookups = resolver(monkeypatch, ["10.0.0.5"])
    session = requests.Session()
    session.mount(f"https://{NAME}", requests.adapters.HTTPAdapter())
    with pytest.raises(PayerPermanentError, match="resolves to a private address$"):
        call(session=session)
    assert lookups.lookups == 1
