"""Hostile 271 replies, small ones (the big ones are the reader's benchmark): each read by the X12
reader and received by the CORE X12 adapter from a mocked payer ends as a read answer or a plain
payer error, never an unhandled exception, and no error text repeats the patient's data."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import responses

from coverage.adapters.core_x12 import CoreX12Adapter
from coverage.core.payer_replies import MAX_DEPTH, PayerCallRow, ReplyNode, view
from coverage.domain.eligibility import EligibilityResponse
from coverage.errors import PayerError
from coverage.x12.errors import X12ParseError
from coverage.x12.iop_benefit import IopContext, read_eligibility
from tests.figures import record
from tests.payers import REQUEST_PHI, eligibility_request, payer_config, reply_271

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
LFH = (SAMPLES / "lfh-subscriber-health-benefit-check.271").read_text()
_SET = LFH[LFH.index("ST*") : LFH.index("GE*")]
URL = "https://core.example-payer.test/realtime"
CONTEXT = IopContext(service_date=date(2026, 3, 2))


def _segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def _join(segments: list[str]) -> str:
    return "~".join(segments) + "~"


def _body(edit: Callable[[list[str]], list[str]]) -> str:
    """The sample with its segments between ST and SE edited (the envelope kept)."""
    segments = _segments(LFH)
    start = next(i for i, s in enumerate(segments) if s.startswith("ST*")) + 1
    end = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    return _join(segments[:start] + edit(segments[start:end]) + segments[end:])


def _nested_loops(depth: int) -> Callable[[list[str]], list[str]]:
    def edit(body: list[str]) -> list[str]:
        chain = [
            f"HL*{n}*{n - 1 if n > 1 else ''}*{'22' if n > 3 else '21'}*1" for n in range(1, depth)
        ]
        return body[:1] + chain + body[1:]

    return edit


HOSTILE: dict[str, str] = {
    "empty": "",
    "only whitespace": " \r\n\t ",
    "binary junk": bytes(range(256)).decode("latin-1") * 4,
    "NUL bytes in a segment": LFH.replace("NM1*IL", "NM1\x00*IL", 1),
    "UTF-8 BOM before ISA": "\ufeff" + LFH,
    "truncated in ISA": LFH[:50],
    "truncated mid-segment": LFH[: len(LFH) // 2],
    "truncated before IEA": LFH[: LFH.rindex("IEA")],
    "only the ISA": _segments(LFH)[0] + "~",
    "huge element (64 KB name)": LFH.replace("NM1*IL*1*", "NM1*IL*1*" + "X" * 65_536, 1),
    "segment of 5,000 elements": _body(lambda b: [*b, "EB*1" + "*" * 5000]),
    "segment ID padded": LFH.replace("~NM1*", "~  NM1*", 1),
    "segment ID padded after": LFH.replace("~NM1*", "~NM1  *", 1),
    "segment ID lower case": LFH.replace("~EB*", "~eb*"),
    "segment ID too long": LFH.replace("~EB*", "~EBEBEBEB*", 1),
    "unknown segment IDs": _body(lambda b: [*b, "ZZZ*1*2", "Q*", "*"]),
    "element separator as terminator": LFH.replace("*", "~"),
    "terminator as element separator": LFH.replace("~", "*"),
    "wrong element separator in body": LFH[:106] + LFH[106:].replace("*", "|"),
    "sub-element separator everywhere": LFH.replace("*", ":"),
    "repetition separator in every element": LFH.replace("*", "*^"),
    "CRLF after every segment": LFH.replace("~", "~\r\n"),
    "nested HL loops 300 deep": _body(_nested_loops(300)),
    "HL pointing at a missing parent": _body(lambda b: [*b, "HL*99*98*22*0"]),
    "HL loop IDs repeated": _body(lambda b: b + [s for s in b if s.startswith("HL*")]),
    "EB segments x 2,000": _body(lambda b: b + [s for s in b if s.startswith("EB*")] * 200),
    "SE count wrong": LFH.replace("SE*", "SE*9999", 1),
    "ST without SE": _join([s for s in _segments(LFH) if not s.startswith("SE*")]),
    "two interchanges": LFH + LFH,
    "transaction sets x 100": LFH.replace(_SET, _SET * 100),
    "date 99999999": LFH.replace("D8*2", "D8*9999", 1),
    "amounts not numbers": _body(lambda b: [s.replace("*27*", "*NaN*") for s in b]),
}
READ: dict[str, int] = {"answers": 0, "errors": 0}
ADAPTER: dict[str, int] = {"answers": 0, "errors": 0}


def _outcome(call: Callable[[], EligibilityResponse], errors: type[Exception]) -> str:
    try:
        call()
    except errors as error:
        text = str(error) + getattr(error, "action", "")
        leaked = [w for w in REQUEST_PHI if w in text]
        assert not leaked, f"{leaked} in {text!r}"
        return "errors"
    return "answers"


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_reader_answers_or_names_the_fault(name: str) -> None:
    READ[_outcome(lambda: read_eligibility(HOSTILE[name], CONTEXT), X12ParseError)] += 1
    _record()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOP_PROOF_CORE_USER", "iop-user")
    monkeypatch.setenv("IOP_PROOF_CORE_PASSWORD", "s3cret-test")


@pytest.mark.parametrize("name", list(HOSTILE))
@responses.activate
def test_the_adapter_answers_or_raises_a_payer_error(name: str, credentials: None) -> None:
    responses.post(URL, **reply_271(HOSTILE[name]))
    payer = payer_config(
        "core_x12",
        id="example-core",
        settings={
            "url": URL,
            "payer_x12_id": "99999",
            "payer_name": "EXAMPLE HEALTH PLAN",
            "provider_name": "EXAMPLE IOP CLINIC",
            "sender_id": "EXAMPLEIOP",
            "receiver_id": "EXAMPLEPAYER",
            "username_env": "IOP_PROOF_CORE_USER",
            "password_env": "IOP_PROOF_CORE_PASSWORD",
        },
    )
    request = eligibility_request(payer_id="example-core")
    ADAPTER[_outcome(lambda: CoreX12Adapter().check(request, payer=payer), PayerError)] += 1
    _record()
    try:
        CoreX12Adapter().check(request, payer=payer)
    except PayerError as error:  # a reply came: it goes with the error, to be kept
        assert error.reply is not None and error.reply.payload is not None


def _depth(nodes: list[ReplyNode]) -> int:
    return 1 + max((_depth(n.children) for n in nodes), default=0) if nodes else 0


@pytest.mark.parametrize("name", list(HOSTILE))
def test_billing_sees_it_as_text_and_a_tree_or_is_told_why_not(name: str) -> None:
    row = PayerCallRow.model_validate(
        {
            "id": "00000000-0000-4000-8000-000000000000",
            "attempt": 1,
            "payer_id": "example-core",
            "payer_name": "Example",
            "at": "2026-03-02T10:00:00Z",
            "outcome": "transient_error",
            "outcome_text": "",
            "error": "",
            "elapsed_ms": 5,
            "raw_sha256": None,
            "reply_kept": True,
        }
    )
    shown = view(HOSTILE[name], "application/edi-x12", row)
    assert shown.kind in ("x12", "text")
    assert shown.tree or shown.note
    assert _depth(shown.tree) <= MAX_DEPTH + 1


def _record() -> None:
    record(
        "hostile 271 replies",
        f"{len(HOSTILE)} replies; reader: {READ['answers']} read, {READ['errors']} X12 errors; "
        f"adapter: {ADAPTER['answers']} read, {ADAPTER['errors']} payer errors; 0 unhandled",
    )
