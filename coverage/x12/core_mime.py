"""CAQH CORE connectivity, HTTP MIME multipart envelope (CAQH CORE Connectivity Rule
vC2.2.0, May 2020).

Both sides use it: the CORE X12 adapter (client) and the sandbox payer (server). One form field
per envelope field; the X12 text travels in `Payload`.
"""

import uuid
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser

REQUEST_270 = "X12_270_Request_005010X279A1"
RESPONSE_271 = "X12_271_Response_005010X279A1"
ENVELOPE_ERROR = "CoreEnvelopeError"
RULE_VERSION = "2.2.0"
REAL_TIME = "RealTime"
SUCCESS = "Success"
REQUIRED_REQUEST_FIELDS = (
    "PayloadType",
    "ProcessingMode",
    "PayloadID",
    "TimeStamp",
    "SenderID",
    "ReceiverID",
    "CORERuleVersion",
    "Payload",
)


def envelope(
    *,
    payload_type: str,
    payload: str,
    sender_id: str,
    receiver_id: str,
    payload_id: str | None = None,
) -> dict[str, str]:
    """The metadata fields of one real-time message."""
    return {
        "PayloadType": payload_type,
        "ProcessingMode": REAL_TIME,
        "PayloadID": payload_id or str(uuid.uuid4()),
        "TimeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "SenderID": sender_id,
        "ReceiverID": receiver_id,
        "CORERuleVersion": RULE_VERSION,
        "Payload": payload,
    }


def encode(fields: dict[str, str]) -> tuple[bytes, str]:
    """multipart/form-data body and its Content-Type (with the boundary)."""
    boundary = f"core-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    body = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8")
    return body, f"multipart/form-data; boundary={boundary}"


def decode(body: bytes, content_type: str) -> dict[str, str]:
    """The form fields of a multipart/form-data body. Raises ValueError when it is not one.

    Parsed with the compat32 policy: the header registry of the modern policies costs about
    eight times as much per message (bench/load.py measured it as the largest CPU cost of a
    payer call on both sides) and adds nothing for form-data names.
    """
    if not content_type.lower().startswith("multipart/"):
        raise ValueError("not a multipart body")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.compat32).parsebytes(head + body)
    parts = message.get_payload()
    if not message.is_multipart() or not isinstance(parts, list):
        raise ValueError("not a multipart body")
    fields: dict[str, str] = {}
    for part in parts:
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        fields[name] = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
    if not fields:
        raise ValueError("no form fields in the multipart body")
    return fields
