"""Billing's review on the detail page and the printable pages, through a signed-in web session."""

import base64
import hashlib
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from coverage import service
from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from coverage.store import reviews
from coverage.store.tables import VerificationJob
from tests.api_client import make_app, staff
from tests.factories import phi_in, request, request_body
from tests.integration.conftest import actions, job_row, queue_in_process
from tests.integration.web_session import SignedInClient, signed_in_client

# With a household of 4 at $40,000 (121.21 % of the 2026 guideline, class B, $80 a day), the PPO
# persona's options are: full price 24 x $400 = $9,600; sliding scale and, because the insured
# share of $3,120 is more, a hardship reduction to 24 x $80 = $1,920 ($640 a month over 3).
LOW_INCOME = {"size": 4, "annual_income": "40000.00"}
HREF = re.compile(r'(?:href|src|action)="([^"]*)"')


@pytest.fixture(scope="module")
def enqueued() -> list[uuid.UUID]:
    return []


@pytest.fixture(scope="module")
def app(database: str, enqueued: list[uuid.UUID]) -> Iterator[FastAPI]:
    yield make_app(enqueued.append)


@pytest.fixture(scope="module")
def billing(app: FastAPI) -> SignedInClient:
    return signed_in_client(app, Role.BILLING)


@pytest.fixture(scope="module")
def admissions(app: FastAPI) -> SignedInClient:
    return signed_in_client(app, Role.ADMISSIONS)


def submitted_by(owner: SignedInClient, req: VerificationRequest) -> uuid.UUID:
    return queue_in_process(req, Actor(name=owner.name, role=Role.ADMISSIONS))


def self_pay() -> VerificationRequest:
    body = request_body("ppo", start_date="2026-04-06", weeks=6, household=LOW_INCOME)
    body["policies"] = []
    return VerificationRequest.model_validate(body)


def in_review_queue(staff: SignedInClient, job_id: uuid.UUID) -> bool:
    """Whether the job is listed on any page of the review queue (other tests fill it too)."""
    for number in range(1, 1000):
        listed = staff.client.get(f"/review?page={number}").text
        if f'data-job-id="{job_id}"' in listed:
            return True
        if "Next page" not in listed:
            return False
    raise AssertionError("the review queue does not end")


def patient_total(html: str) -> str:
    found = re.search(r"data-patient-total>([^<]+)<", html)
    assert found, "the print page shows the patient's total"
    return found.group(1)


def test_billing_approves_with_a_note_and_the_job_leaves_the_queue(
    billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    assert in_review_queue(billing, job_id)
    response = billing.post_form(
        f"/verifications/{job_id}/review",
        {"decision": "approve", "note": "Benefits confirmed by phone"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/verifications/{job_id}?done=approved#review"
    assert job_row(session, job_id).status == "approved"
    assert actions(session, job_id)[-1] == "job.approved"
    shown = billing.client.get(response.headers["location"]).text
    assert "Approved. The verification has left the review queue." in shown
    assert "Benefits confirmed by phone" in shown
    assert 'action="/verifications/' + str(job_id) + '/review"' not in shown  # decided
    assert not in_review_queue(billing, job_id)


def test_billing_rejects_and_may_then_re_run(
    billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    response = billing.post_form(
        f"/verifications/{job_id}/review", {"decision": "reject", "note": "Wrong member ID"}
    )
    assert response.status_code == 303 and "done=rejected" in response.headers["location"]
    assert job_row(session, job_id).status == "rejected"
    assert actions(session, job_id)[-1] == "job.rejected"
    shown = billing.client.get(f"/verifications/{job_id}").text
    assert f'action="/verifications/{job_id}/rerun"' in shown
    assert f'action="/verifications/{job_id}/adjust"' not in shown  # not once rejected


def test_a_note_changes_no_state_and_an_empty_one_is_refused(
    billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    noted = billing.post_form(
        f"/verifications/{job_id}/note", {"which": "note", "note": "Called the payer, on hold"}
    )
    assert noted.status_code == 303 and "done=noted" in noted.headers["location"]
    assert job_row(session, job_id).status == "needs_review"
    assert actions(session, job_id)[-1] == "job.note"
    assert "Called the payer, on hold" in billing.client.get(f"/verifications/{job_id}").text
    empty = billing.post_form(f"/verifications/{job_id}/note", {"which": "note", "note": "  "})
    assert empty.status_code == 422
    assert (
        '<span class="field-error" id="error-note-note">write the note to add</span>' in empty.text
    )
    assert "Nothing was saved" in empty.text
    assert [r.decision for r in reviews.list_for(session, job_id=job_id)] == ["note"]
    assert actions(session, job_id).count("job.note") == 1


def test_the_print_page_shows_the_estimate_then_billings_adjustment(
    billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = submitted_by(admissions, request("ppo", household=LOW_INCOME))
    url = f"/verifications/{job_id}/estimate"
    plain = billing.client.get(url)
    assert plain.status_code == 200
    assert patient_total(plain.text) == "$3,120.00"
    assert "Estimated amount you owe" in plain.text
    assert "Draft: billing has not yet approved this estimate." in plain.text
    assert "Jordan Sample" in plain.text and "04/12/1988" in plain.text
    assert "Example IOP Facility (development)" in plain.text
    assert "100 Example Way, Richmond, VA 23219" in plain.text
    assert "This is an estimate, not a bill." in plain.text
    assert "42 CFR part 2" not in plain.text  # a mental-health program
    assert actions(session, job_id)[-1] == "job.read"

    adjusted = billing.post_form(
        f"/verifications/{job_id}/adjust",
        {
            "which": "adjust",
            "option": "hardship_discount",
            "plan_months": "3",
            "note": "Hardship form 2026-114 on file",
        },
    )
    assert adjusted.status_code == 303 and "done=adjusted" in adjusted.headers["location"]
    assert actions(session, job_id)[-1] == "job.adjust"
    [decision] = reviews.list_for(session, job_id=job_id)
    assert (decision.decision, decision.adjustment) == (
        "adjust",
        {"option": "hardship_discount", "plan_months": 3},
    )
    assert job_row(session, job_id).status == "needs_review"
    printed = billing.client.get(url).text
    assert patient_total(printed) == "$1,920.00"
    assert "Your share after a financial-hardship reduction" in printed
    assert "Payment plan: 3 monthly payments of $640.00." in printed

    # The latest adjustment wins: back to the plain estimate.
    billing.post_form(f"/verifications/{job_id}/adjust", {"which": "adjust", "option": ""})
    assert patient_total(billing.client.get(url).text) == "$3,120.00"


def test_an_option_or_plan_the_result_does_not_offer_is_refused(
    billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = submitted_by(admissions, request("ppo"))  # no household: full price only
    unknown = billing.post_form(
        f"/verifications/{job_id}/adjust",
        {"which": "adjust", "option": "sliding_scale", "note": "as discussed"},
    )
    assert unknown.status_code == 422
    assert (
        "<li>Price for the patient: not a price option of this result; it offers full_price</li>"
        in unknown.text
    )
    assert ">as discussed</textarea>" in unknown.text  # what was typed is kept
    months = billing.post_form(
        f"/verifications/{job_id}/adjust",
        {"which": "adjust", "option": "full_price", "plan_months": "7"},
    )
    assert months.status_code == 422
    assert (
        "<li>Payment plan: not a payment plan of this option; it offers 3 months, 6 months, "
        "12 months</li>" in months.text
    )
    assert reviews.list_for(session, job_id=job_id) == []
    assert "job.adjust" not in actions(session, job_id)


def test_re_run_with_a_fresh_check(
    billing: SignedInClient,
    admissions: SignedInClient,
    session: Session,
    enqueued: list[uuid.UUID],
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    response = billing.post_form(
        f"/verifications/{job_id}/rerun", {"which": "rerun", "fresh": "yes"}
    )
    assert response.status_code == 303 and "done=rerun" in response.headers["location"]
    job = job_row(session, job_id)
    assert (job.status, job.fresh_check, job.message) == (
        "queued",
        True,
        "Re-run requested, with new payer calls",
    )
    assert enqueued[-1] == job_id
    assert actions(session, job_id)[-1] == "job.queued"


def test_a_job_that_needs_info_has_no_result_but_may_be_re_run(
    billing: SignedInClient, admissions: SignedInClient, session: Session, enqueued: list[uuid.UUID]
) -> None:
    job_id = submitted_by(admissions, request("unknown"))  # the payer does not know the member
    assert job_row(session, job_id).status == "needs_info"
    shown = billing.client.get(f"/verifications/{job_id}").text
    assert f'action="/verifications/{job_id}/rerun"' in shown
    assert f'action="/verifications/{job_id}/review"' not in shown
    assert "Print the patient estimate" not in shown  # nothing to print yet
    response = billing.post_form(f"/verifications/{job_id}/rerun", {"which": "rerun"})
    assert response.status_code == 303
    job = job_row(session, job_id)
    assert (job.status, job.fresh_check, job.message) == ("queued", False, "Re-run requested")
    assert enqueued[-1] == job_id


def test_an_approved_job_is_not_re_run(
    billing: SignedInClient, admissions: SignedInClient, session: Session, enqueued: list[uuid.UUID]
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    billing.post_form(f"/verifications/{job_id}/review", {"decision": "approve"})
    refused = billing.post_form(f"/verifications/{job_id}/rerun", {"which": "rerun"})
    assert refused.status_code == 409
    assert "Nothing was changed: this verification is now “Approved”" in refused.text
    assert job_row(session, job_id).status == "approved" and job_id not in enqueued


@pytest.mark.parametrize("state", ["running", "queued", "approved"])
def test_the_api_refuses_to_re_run_a_job_a_worker_holds_or_billing_approved(
    state: str, app: FastAPI, admissions: SignedInClient, session: Session
) -> None:
    """The rule the page applies holds for the API too: a running job re-queued under its
    worker once ended failed, its result dropped."""
    job_id = submitted_by(admissions, request("ppo"))
    session.execute(
        update(VerificationJob).where(col(VerificationJob.id) == job_id).values(status=state)
    )
    session.commit()
    client = TestClient(app)
    refused = client.post(f"/api/verifications/{job_id}/rerun", headers=staff(Role.BILLING).headers)
    assert (refused.status_code, refused.json()) == (
        409,
        {"detail": f"job {job_id} is {state}: it cannot be re-run now"},
    )
    assert job_row(session, job_id).status == state


@pytest.mark.parametrize("action", ["review", "note", "adjust"])
def test_admissions_cannot_post_review_actions(
    action: str, billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    refused = admissions.post_form(
        f"/verifications/{job_id}/{action}",
        {"decision": "approve", "note": "mine", "option": "full_price"},
    )
    assert refused.status_code == 403
    assert "This page is not for your role" in refused.text
    assert job_row(session, job_id).status == "needs_review"
    assert reviews.list_for(session, job_id=job_id) == []


def test_admissions_sees_the_decisions_without_the_forms(
    billing: SignedInClient, admissions: SignedInClient
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    billing.post_form(f"/verifications/{job_id}/note", {"note": "Waiting for the auth number"})
    shown = admissions.client.get(f"/verifications/{job_id}").text
    assert "Waiting for the auth number" in shown
    assert "Billing reviews this result" in shown
    for action in ("review", "note", "adjust", "rerun"):
        assert f'action="/verifications/{job_id}/{action}"' not in shown
    assert f'href="/verifications/{job_id}/estimate"' in shown  # may print its own job


def test_a_review_form_without_the_csrf_token_is_refused(
    billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    refused = billing.post_form(
        f"/verifications/{job_id}/review", {"decision": "approve"}, csrf=False
    )
    assert refused.status_code == 403
    assert "This form could not be accepted" in refused.text
    assert job_row(session, job_id).status == "needs_review"


def test_the_submitter_may_print_another_clerk_may_not(
    app: FastAPI, admissions: SignedInClient
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    assert admissions.client.get(f"/verifications/{job_id}/estimate").status_code == 200
    other = signed_in_client(app, Role.ADMISSIONS)
    assert other.client.get(f"/verifications/{job_id}/estimate").status_code == 404


def test_a_job_without_a_result_has_no_estimate_to_print(
    billing: SignedInClient, admissions: SignedInClient
) -> None:
    job, _ = service.queue(
        request("ppo"),
        actor=Actor(name=admissions.name, role=Role.ADMISSIONS),
        enqueue=lambda _id: None,
    )
    response = billing.client.get(f"/verifications/{job.id}/estimate")
    assert response.status_code == 404
    assert "<h1>No estimate yet</h1>" in response.text


def test_the_good_faith_estimate_page_has_its_required_elements(
    billing: SignedInClient, admissions: SignedInClient, session: Session
) -> None:
    job_id = submitted_by(admissions, self_pay())
    page = billing.client.get(f"/verifications/{job_id}/good-faith-estimate")
    assert page.status_code == 200
    text = page.text
    for element in [
        "Good Faith Estimate for Health Care Items and Services",
        "Jordan Sample",  # (i) name and birth date
        "04/12/1988",
        "Intensive outpatient program (IOP)",  # (ii) primary service, scheduled date
        "Scheduled to start 04/06/2026",
        "Period of care: 04/06/2026 to 05/13/2026; 3 service days a week for 6 weeks, "
        "18 service days in total.",
        "S9480",  # (iii)-(iv) items, service and diagnosis codes, expected charges
        "F33.1",
        "$1,440.00",
        "1234567893",  # (v) NPI, TIN, location and state
        "00-0000000",
        "100 Example Way, Richmond, VA 23219 (state: VA)",
        "A separate Good Faith Estimate will be issued",  # (vi)-(vii)
        "may recommend additional items or services",  # (viii)
        "based on information known at the time the estimate was created",  # (ix)
        "billed at least $400.00 more than this Good Faith Estimate",  # (x)
        "will not affect the quality of your care",
        "is not a contract",
    ]:
        assert element in text, element
    assert "data-print" in text and "<style" not in text  # the app's stylesheet, no inline CSS
    assert actions(session, job_id)[-1] == "job.read"


def test_an_insured_enrollee_has_no_good_faith_estimate_page(
    billing: SignedInClient, admissions: SignedInClient
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    response = billing.client.get(f"/verifications/{job_id}/good-faith-estimate")
    assert response.status_code == 404
    assert "<h1>No Good Faith Estimate for this verification</h1>" in response.text
    assert "only for enrollees who are uninsured or who pay for themselves" in response.text


def test_the_detail_page_draws_the_chart_with_the_out_of_pocket_maximum(
    billing: SignedInClient, admissions: SignedInClient
) -> None:
    job_id = submitted_by(admissions, request("ppo"))
    shown = billing.client.get(f"/verifications/{job_id}").text
    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in shown
    # $3,000 left in 2026 (the payer's answer), the full $4,000 again from 1 January 2027.
    assert "Out-of-pocket maximum left $3,000.00" in shown
    assert "Out-of-pocket maximum left $4,000.00" in shown
    assert "The patient is estimated to pay $3,120.00 and the payers $5,280.00 in total." in shown
    assert "<caption>Cost by week (the chart's numbers)</caption>" in shown


def test_no_link_or_form_on_these_pages_carries_a_name_birth_date_or_member_id(
    billing: SignedInClient, admissions: SignedInClient
) -> None:
    job_id = submitted_by(admissions, request("ppo", household=LOW_INCOME))
    self_paying = submitted_by(admissions, self_pay())
    pages = [
        f"/verifications/{job_id}",
        f"/verifications/{job_id}/result",
        f"/verifications/{job_id}/estimate",
        f"/verifications/{self_paying}/good-faith-estimate",
    ]
    phi = ["Jordan", "Sample", "1988", "04/12", "SBX-PPO-100234", "100234", "F33"]
    for path in pages:
        html = billing.client.get(path).text
        assert "Jordan" in html or path.endswith("/result")  # the page itself shows the name
        urls = HREF.findall(html)
        assert urls, path
        leaks = {url: found for url in urls if (found := phi_in(url, phi))}
        assert leaks == {}, path


def test_note_and_adjust_through_the_api(admissions: SignedInClient, session: Session) -> None:
    headers = staff(Role.BILLING, "api-billing").headers
    from fastapi.testclient import TestClient

    client = TestClient(admissions.client.app)
    job_id = submitted_by(admissions, request("ppo", household=LOW_INCOME))
    url = f"/api/verifications/{job_id}/review"
    noted = client.post(url, headers=headers, json={"decision": "note", "note": "checked"})
    assert noted.status_code == 200 and noted.json()["status"] == "needs_review"
    adjusted = client.post(
        url,
        headers=headers,
        json={"decision": "adjust", "adjustment": {"option": "sliding_scale", "plan_months": 6}},
    )
    assert adjusted.status_code == 200
    assert [(r["decision"], r["note"], r["adjustment"]) for r in adjusted.json()["reviews"]] == [
        ("note", "checked", None),
        ("adjust", None, {"option": "sliding_scale", "plan_months": 6}),
    ]
    refused = client.post(
        url, headers=headers, json={"decision": "adjust", "adjustment": {"option": "coupon"}}
    )
    assert refused.status_code == 422
    assert refused.json() == {
        "detail": "option: not a price option of this result; it offers "
        "full_price, sliding_scale, hardship_discount"
    }
    empty = client.post(url, headers=headers, json={"decision": "note"})
    assert (empty.status_code, empty.json()) == (422, {"detail": "note: write the note to add"})
    assert actions(session, job_id).count("job.adjust") == 1


def test_the_api_document_keeps_its_own_style_under_the_content_security_policy(
    admissions: SignedInClient,
) -> None:
    api_billing = staff(Role.BILLING, "api-gfe")
    job_id = submitted_by(admissions, self_pay())
    response = admissions.client.get(
        f"/api/verifications/{job_id}/good-faith-estimate", headers=api_billing.headers
    )
    style = re.search(r"<style>(.*?)</style>", response.text, re.DOTALL)
    assert style
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    policy = response.headers["Content-Security-Policy"]
    assert f"style-src 'self' 'sha256-{digest}';" in policy
    assert "script-src 'self';" in policy and "onclick" not in response.text
