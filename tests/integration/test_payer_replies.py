"""The raw reply of every payer call is kept (encrypted, with its SHA-256), also when the payer
rejected the request, sent something unreadable or answered HTTP 500; billing reads it as text
and as a tree, each read audited; admissions may not.

The payer is a remote CORE X12 payer mocked with `responses`; the job runs for real.
"""

import hashlib
import html
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from fastapi import FastAPI
from sqlmodel import Session, col, select

from coverage.api.web.render import us_date
from coverage.core.rule_book import current_rulebook
from coverage.domain.access import Actor, Role
from coverage.settings import get_settings
from coverage.store import payer_calls
from coverage.store.tables import AuditEvent, PayerCall
from tests.api_client import leave_queued, make_app, staff
from tests.factories import part2_consent, request
from tests.integration.conftest import job_row, queue_in_process
from tests.integration.web_session import SignedInClient, signed_in_client
from tests.payers import SYNTHETIC_X12, reply_271
from tests.rule_files import core_x12_payer

URL = "https://core.example-payer.test/realtime"
AAA_75 = (SYNTHETIC_X12 / "synthetic-aaa-2100c-75.271").read_bytes()
# Cut off inside the subscriber loop: no SE, GE or IEA.
TRUNCATED = AAA_75[: AAA_75.index(b"AAA*")]
AAA_LABEL = (
    "AAA — request rejected, reason 75: The payer did not find this member. Check the member ID, "
    "name and birth date against the insurance card, and that this is the right payer, then "
    "re-run the verification. (follow-up code C)"
)

FEES = """\
kind: fee_schedule
version: "1"
source: "test rates (synthetic)"
effective: 2024-01-01
service:
  description: Intensive outpatient psychiatric services, per diem
  code: S9480
self_pay_per_day: "400.00"
payers:
  {id}:
    - network: in_network
      per_day: "350.00"
"""


@pytest.fixture(scope="module")
def app(database: str) -> Iterator[FastAPI]:
    yield make_app(leave_queued)


@pytest.fixture(scope="module")
def billing(app: FastAPI) -> SignedInClient:
    return signed_in_client(app, Role.BILLING)


@pytest.fixture(scope="module")
def admissions(app: FastAPI) -> SignedInClient:
    return signed_in_client(app, Role.ADMISSIONS)


@pytest.fixture
def payer_id(rules: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A CORE X12 payer at URL in the rule book; one attempt, so a retryable error fails the job."""
    monkeypatch.setattr(get_settings(), "max_attempts", 1)
    id = f"reply-{uuid.uuid4().hex[:8]}"
    (rules / "payers" / f"{id}.yaml").write_text(
        core_x12_payer(
            id,
            "Reply Test Plan",
            URL,
            x12_id="99999",
            payer_name="EXAMPLE HEALTH PLAN",
            receiver_id="EXAMPLEPAYER",
        )
    )
    (rules / "fee_schedules" / f"{id}.yaml").write_text(FEES.format(id=id))
    return id


def run_job(
    payer_id: str, submitter: SignedInClient, reply: dict[str, Any], *, part2: bool = False
) -> uuid.UUID:
    """A verification against the mocked payer, which answers `reply` once, run to its end; a
    Part 2 one (an alcohol-use diagnosis) with the patient's consent to that payer."""
    req = (
        request("ppo", diagnoses=["F10.20"], consents=[part2_consent(payer_id)])
        if part2
        else request("ppo")
    )
    policy = req.policies[0].model_copy(update={"payer_id": payer_id})
    with responses.RequestsMock() as payer:
        payer.post(URL, **reply)
        return queue_in_process(
            req.model_copy(update={"policies": [policy]}),
            Actor(name=submitter.name, role=Role.ADMISSIONS),
        )


def only_call(session: Session, job_id: uuid.UUID) -> PayerCall:
    session.expire_all()
    [call] = payer_calls.list_for(session, job_id=job_id)
    return call


def reads_of(session: Session, job_id: uuid.UUID) -> list[tuple[str, str, str]]:
    rows = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity_id == str(job_id), AuditEvent.action.startswith("payer_reply"))
        .order_by(col(AuditEvent.id))
    ).all()
    return [(r.action, r.actor, r.detail) for r in rows]


def test_a_rejected_reply_is_kept_and_billing_reads_it_as_text_and_tree(
    payer_id: str,
    billing: SignedInClient,
    admissions: SignedInClient,
    session: Session,
) -> None:
    job_id = run_job(payer_id, admissions, reply_271(AAA_75.decode()))

    assert job_row(session, job_id).status == "needs_info"
    call = only_call(session, job_id)
    assert call.outcome == "permanent_error"
    assert call.raw is not None
    assert call.raw["payload"].encode() == AAA_75
    assert call.raw["media_type"] == "application/edi-x12"
    assert call.raw_sha256 == hashlib.sha256(AAA_75).hexdigest()

    job_page = billing.client.get(f"/verifications/{job_id}")
    link = f'<a href="/verifications/{job_id}/payer-replies">The payer\'s replies</a>'
    assert link in job_page.text
    page = billing.client.get(f"/verifications/{job_id}/payer-replies")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = html.unescape(page.text)
    assert "Reply Test Plan" in text
    assert "The payer refused or rejected the request" in text
    assert call.raw_sha256 in text
    # The text: one segment a line, separators as sent.
    assert "HL*3*2*22*0~\nTRN*2*TRACE000001*9EXAMPLEIO~\nNM1*IL*1*DOE*JANE****MI*W000000009~\n" in (
        text
    )
    # The tree: the subscriber's loops, the AAA line with its plain meaning.
    assert "Loop 2000C — subscriber" in text
    assert "Loop 2100C — subscriber name" in text
    assert f"{AAA_LABEL}</span> <code>AAA*N**75*C~</code>" in text
    assert reads_of(session, job_id) == [
        ("payer_reply.read", billing.name, f"payer call {call.id}")
    ]

    assert admissions.client.get(f"/verifications/{job_id}/payer-replies").status_code == 403
    assert reads_of(session, job_id) == [
        ("payer_reply.read", billing.name, f"payer call {call.id}")
    ]


def test_an_unreadable_reply_is_kept_and_shown_with_what_could_be_read(
    payer_id: str, billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = run_job(payer_id, admissions, reply_271(TRUNCATED.decode()))

    assert job_row(session, job_id).status == "failed"
    call = only_call(session, job_id)
    assert call.outcome == "transient_error"
    assert call.raw is not None
    assert call.raw["payload"].encode() == TRUNCATED
    assert call.raw_sha256 == hashlib.sha256(TRUNCATED).hexdigest()

    text = html.unescape(billing.client.get(f"/verifications/{job_id}/payer-replies").text)
    assert "The payer could not answer then; the call was tried again later" in text
    assert "NM1*IL*1*DOE*JANE****MI*W000000009~\n</pre>" in text
    assert "NM1 — insured (subscriber): DOE, JANE (MI W000000009)" in text
    assert "AAA*" not in text


def test_an_http_500_body_is_kept_escaped_on_the_page_and_read_through_the_api(
    payer_id: str, billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    body = "<html><script>alert('x')</script>Internal error 42</html>"
    job_id = run_job(
        payer_id, admissions, {"status": 500, "body": body, "content_type": "text/html"}
    )

    assert job_row(session, job_id).status == "failed"
    call = only_call(session, job_id)
    assert call.raw == {"media_type": "text/html", "payload": body}
    assert call.raw_sha256 == hashlib.sha256(body.encode()).hexdigest()

    page = billing.client.get(f"/verifications/{job_id}/payer-replies").text
    assert "<script>alert" not in page
    assert "&lt;html&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;Internal error 42" in page
    assert "This reply is neither X12 nor JSON that could be read" in page

    reader = staff(Role.BILLING)
    calls = billing.client.get(f"/api/verifications/{job_id}/payer-calls", headers=reader.headers)
    assert calls.status_code == 200
    assert calls.headers["Cache-Control"] == "no-store"
    [row] = calls.json()
    assert (row["id"], row["payer_name"], row["outcome"], row["raw_sha256"], row["reply_kept"]) == (
        str(call.id),
        "Reply Test Plan",
        "transient_error",
        call.raw_sha256,
        True,
    )
    answer = billing.client.get(
        f"/api/verifications/{job_id}/payer-calls/{call.id}/reply", headers=reader.headers
    )
    assert answer.status_code == 200
    assert (answer.json()["kind"], answer.json()["lines"]) == ("text", [body])
    assert reads_of(session, job_id) == [
        ("payer_reply.read", billing.name, f"payer call {call.id}"),
        ("payer_reply.list", reader.name, "1 payer calls"),
        ("payer_reply.read", reader.name, f"payer call {call.id}"),
    ]

    clerk = staff(Role.ADMISSIONS)
    for path in ("payer-calls", f"payer-calls/{call.id}/reply"):
        refused = billing.client.get(f"/api/verifications/{job_id}/{path}", headers=clerk.headers)
        assert refused.status_code == 403
    missing = billing.client.get(
        f"/api/verifications/{job_id}/payer-calls/{uuid.uuid4()}/reply", headers=reader.headers
    )
    assert missing.status_code == 404


def test_a_reply_over_the_size_cap_is_recorded_as_not_kept(
    payer_id: str,
    billing: SignedInClient,
    admissions: SignedInClient,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "payer_reply_max_mb", 1)
    job_id = run_job(
        payer_id, admissions, {"body": b"x" * (1024 * 1024 + 1), "content_type": "text/plain"}
    )

    assert job_row(session, job_id).status == "needs_info"
    call = only_call(session, job_id)
    assert call.raw == {
        "media_type": "text/plain",
        "payload": None,
        "not_kept": "reply over 1 MB, not kept",
    }
    assert call.raw_sha256 is None
    text = html.unescape(billing.client.get(f"/verifications/{job_id}/payer-replies").text)
    assert '<p class="notice">reply over 1 MB, not kept</p>' in text


def test_a_part2_jobs_reply_is_read_under_its_notice_and_audited_as_part2(
    payer_id: str, billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = run_job(payer_id, admissions, reply_271(AAA_75.decode()), part2=True)
    assert job_row(session, job_id).part2

    page = billing.client.get(f"/verifications/{job_id}/payer-replies").text
    assert "<strong>42 CFR Part 2.</strong> This record is protected" in page
    assert "AAA*N**75*C~" in page
    call = only_call(session, job_id)
    [event] = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity_id == str(job_id), AuditEvent.action == "payer_reply.read"
        )
    ).all()
    assert (event.part2, event.detail, event.actor_role) == (
        True,
        f"payer call {call.id}",
        "billing",
    )


def test_a_sandbox_answer_is_labelled_simulated_pretty_printed_and_timed_in_local_time(
    billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = queue_in_process(request("ppo"), Actor(name=admissions.name, role=Role.ADMISSIONS))
    call = only_call(session, job_id)
    assert call.adapter == "sandbox"

    text = html.unescape(billing.client.get(f"/verifications/{job_id}/payer-replies").text)
    # The sandbox keeps its own normalized JSON: not a payer's reply "as it came".
    assert (
        "<summary>The sandbox's answer (simulated payer), as text (application/json)</summary>"
    ) in text
    assert '<pre class="reply-text" tabindex="0" aria-label="The sandbox\'s answer' in text
    # Local time, as the job page shows its times, not UTC.
    assert f"<td>{us_date(call.created_at)}</td>" in text
    assert " UTC</td>" not in text
    # JSON indented by 2, one key a line.
    assert '">{\n  "active": true,\n  "benefits": [\n    {\n      "coinsurance": "0.20",\n' in (
        text
    )


def test_a_phone_only_payer_is_not_shown_as_refusing_the_request(
    billing: SignedInClient,
    admissions: SignedInClient,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = current_rulebook()
    payer = book.payers["sandbox-commercial"]
    monkeypatch.setitem(
        book.payers,
        "sandbox-commercial",
        payer.model_copy(update={"adapter": "manual", "settings": {"phone": "800-555-0100"}}),
    )
    job_id = queue_in_process(request("ppo"), Actor(name=admissions.name, role=Role.ADMISSIONS))
    assert job_row(session, job_id).status == "needs_info"
    call = only_call(session, job_id)
    assert call.adapter == "manual"

    text = html.unescape(billing.client.get(f"/verifications/{job_id}/payer-replies").text)
    assert "<td>No electronic check: this payer is verified by phone</td>" in text
    assert "refused or rejected" not in text
    calls = billing.client.get(
        f"/api/verifications/{job_id}/payer-calls", headers=staff(Role.BILLING).headers
    )
    [row] = calls.json()
    assert (row["adapter"], row["outcome_text"]) == (
        "manual",
        "No electronic check: this payer is verified by phone",
    )
