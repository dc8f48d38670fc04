"""The job page shows what the payer said beyond the IOP terms: the group number, the carve-out
administrator's phone, the payer's disclaimer, and the payer's reject code only in the section
marked for billing."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from coverage.domain.access import Actor, Role
from coverage.sandbox.app import SandboxPayer
from tests.api_client import make_app
from tests.factories import request
from tests.integration.conftest import queue_in_process
from tests.integration.test_carve_out import FEES, write_payer
from tests.integration.web_session import SignedInClient, signed_in_client

BILLING_DETAILS = '<section id="billing-details"'


@pytest.fixture
def sandbox() -> Iterator[SandboxPayer]:
    with SandboxPayer() as server:
        yield server


@pytest.fixture
def rules(rules: Path, sandbox: SandboxPayer) -> Path:
    """A medical payer over the sandbox whose administrator has no payer file (staff call it)."""
    write_payer(
        rules, sandbox.url, id="medical-plan", name="Medical Plan", x12_id="SBX01", aliases="[]"
    )
    (rules / "fee_schedules" / "carve-out-test.yaml").write_text(FEES)
    return rules


@pytest.fixture
def app(database: str, rules: Path) -> FastAPI:
    return make_app(lambda _id: None)


@pytest.fixture
def billing(app: FastAPI) -> SignedInClient:
    return signed_in_client(app, Role.BILLING)


def test_the_job_page_shows_group_number_administrator_phone_and_disclaimer(
    billing: SignedInClient,
) -> None:
    req = request("ppo", start_date="2026-02-02")
    policy = req.policies[0].model_copy(
        update={"payer_id": "medical-plan", "member_id": "SBX-CARVE-4411"}
    )
    clerk = Actor(name=billing.name, role=Role.ADMISSIONS)
    job_id = queue_in_process(req.model_copy(update={"policies": [policy]}), clerk)
    page = billing.client.get(f"/verifications/{job_id}").text

    assert "<dt>Group number</dt><dd>SBXGRP01</dd>" in page
    # Where the carve-out is reported (the payer's messages) and in the contacts table.
    assert (
        "Medical Plan names SANDBOX BEHAVIORAL HEALTH (phone 8005550199) as its behavioral-health "
        "administrator; no payer file matches it, so staff must verify IOP benefits with it."
    ) in page
    assert (
        "<td>Behavioral-health administrator</td><td>SANDBOX BEHAVIORAL HEALTH</td>"
        '<td><ul class="plain"><li>Phone: 8005550199</li></ul></td>'
    ) in page
    assert (
        "<h4>What the payer says its answer does not guarantee</h4>\n"
        '<ul class="plain"><li>THIS IS NOT A GUARANTEE OF PAYMENT</li></ul>'
    ) in page
    assert BILLING_DETAILS not in page  # the payer rejected nothing


def test_the_reject_code_is_shown_only_in_the_billing_details(billing: SignedInClient) -> None:
    clerk = Actor(name=billing.name, role=Role.ADMISSIONS)
    job_id = queue_in_process(request("unknown"), clerk)  # the payer does not know the member
    page = billing.client.get(f"/verifications/{job_id}").text

    before, marker, billing_part = page.partition(BILLING_DETAILS)
    assert marker == BILLING_DETAILS
    assert "The payer did not find this member." in before  # staff see the hint
    # The code is in no text staff read above the billing details (a random nonce or token in an
    # attribute may hold the digits: only the text between tags counts).
    shown = re.sub(r"<[^>]*>", " ", before).replace(str(job_id), "")
    assert re.search(r"\b75\b", shown) is None and "reject reason" not in shown
    assert '<h2 id="billing-details-heading">Billing details</h2>' in billing_part
    assert "<li>Payer's reject reason code 75 (payer call 1, permanent error)</li>" in billing_part
