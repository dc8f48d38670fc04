"""HTTP/1.1 over a plain socket, for what requests cannot show: whether the server answered while
the client was still sending its body, and how much of the body it had sent by then."""

import select
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    sent: int  # body bytes the client had sent when the answer arrived (or the send stopped)


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            raise AssertionError(f"the connection closed before an answer: {data!r}")
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return int(status_line.split()[1]), headers, body


def post(
    url: str,
    path: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    chunked: bool = False,
    content_type: str = "application/json",
) -> Answer:
    """POSTs `body` (declared by Content-Length, or chunked) 64 KB at a time, and stops sending
    as soon as the server answers."""
    parts = urlsplit(url)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Type: {content_type}"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}")
    sent = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            while sent < len(body) and not select.select([sock], [], [], 0)[0]:
                part = body[sent : sent + CHUNK]
                sock.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
                sent += len(part)
            if sent >= len(body) and chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the server stopped taking the body: its answer is waiting
        status, answer_headers, answer = _read_answer(sock)
    return Answer(status, answer_headers, answer, sent)
