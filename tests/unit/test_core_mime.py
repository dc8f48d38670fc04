"""The CORE MIME multipart envelope: what decode reads from our encoder, from requests' encoder
(what the CORE X12 adapter sends), and what it refuses."""

from pathlib import Path

import pytest
import requests

from coverage.x12 import core_mime

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
LFH = (SAMPLES / "lfh-subscriber-health-benefit-check.271").read_text()


def test_round_trip_keeps_every_field_and_the_payload_byte_for_byte() -> None:
    fields = core_mime.envelope(
        payload_type=core_mime.RESPONSE_271, payload=LFH, sender_id="PAYER", receiver_id="IOP"
    )
    fields["ErrorMessage"] = ""
    fields["Note"] = "café ~ line\r\nbreak"
    body, content_type = core_mime.encode(fields)
    assert core_mime.decode(body, content_type) == fields


def test_reads_the_body_requests_builds_for_the_adapter() -> None:
    fields = core_mime.envelope(
        payload_type=core_mime.REQUEST_270,
        payload="ISA*00*~\nGS*HS~",
        sender_id="A",
        receiver_id="B",
    )
    prepared = requests.Request(
        "POST", "http://127.0.0.1/core", files={k: (None, v) for k, v in fields.items()}
    ).prepare()
    assert isinstance(prepared.body, bytes)
    assert core_mime.decode(prepared.body, prepared.headers["Content-Type"]) == fields


def test_parts_without_a_name_are_skipped_and_quoted_names_unquoted() -> None:
    body = (
        b"--b\r\nContent-Disposition: form-data\r\n\r\nanonymous\r\n"
        b'--b\r\nContent-Disposition: form-data; name="Payload Type"\r\n\r\nX\r\n'
        b"--b\r\nContent-Disposition: form-data; name=Plain\r\n\r\nY\r\n--b--\r\n"
    )
    assert core_mime.decode(body, "multipart/form-data; boundary=b") == {
        "Payload Type": "X",
        "Plain": "Y",
    }


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"PayloadType=x", "application/x-www-form-urlencoded", "not a multipart body"),
        (b"no boundary here", "multipart/form-data; boundary=b", "not a multipart body"),
        (
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
            "no form fields",
        ),
    ],
)
def test_refuses_what_is_not_a_form(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        core_mime.decode(body, content_type)
