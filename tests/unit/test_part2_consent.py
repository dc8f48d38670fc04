"""42 CFR Part 2 consents: what the request and the CSV accept, and which consent lets the
service contact a recipient on a given day."""

import csv
import io
from datetime import date

import pytest
from pydantic import ValidationError

from coverage.batches.csv_file import check_row, read_rows
from coverage.domain.consent import Part2Consent, RecipientMatch, check_consent
from coverage.domain.flat_request import FieldError, template_csv_rows
from tests.factories import part2_consent, request

HEADER, EXAMPLE = template_csv_rows()
SUD_ROW = {
    "diagnoses": "F11.20",
    "program": "substance_use",
    "consent_recipient": "sandbox-commercial",
    "consent_purposes": "payment; treatment",
    "consent_signed_on": "01/05/2026",
    "consent_expires_on_event": "end of treatment",
}


def rows(*changes: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for change in changes:
        writer.writerow(
            (dict(zip(HEADER, EXAMPLE, strict=True)) | change).get(n, "") for n in HEADER
        )
    return out.getvalue().encode()


def test_a_csv_row_carries_one_consent_into_the_request() -> None:
    [row] = read_rows(rows(SUD_ROW))
    checked = check_row(row, payer_ids={"sandbox-commercial"})
    assert checked.errors == [] and checked.request is not None
    assert checked.request.part2
    assert [c.model_dump(mode="json") for c in checked.request.consents] == [
        {
            "signed_by": "patient",
            "representative_name": None,
            "recipient_kind": "payer",
            "recipient": "sandbox-commercial",
            "purposes": ["payment", "treatment"],
            "signed_on": "2026-01-05",
            "expires_on": None,
            "expires_on_event": "end of treatment",
            "revoked_on": None,
        }
    ]


def test_a_row_without_consent_columns_has_no_consent() -> None:
    [row] = read_rows(rows({}))
    checked = check_row(row, payer_ids={"sandbox-commercial"})
    assert checked.errors == [] and checked.request is not None
    assert checked.request.consents == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"consent_expires_on_event": ""},
            FieldError(
                "consent_expires_on", "a consent states an expiry date or event (42 CFR 2.31)"
            ),
        ),
        (
            {"consent_signed_by": "authorized_representative"},
            FieldError(
                "consent_representative_name",
                "required when an authorized representative signed",
            ),
        ),
        (
            {"consent_purposes": "billing"},
            FieldError(
                "consent_purposes",
                "purposes are treatment, payment, health_care_operations",
            ),
        ),
        (
            {"consent_signed_on": "13/40/2026"},
            FieldError("consent_signed_on", "not a date; use MM/DD/YYYY or YYYY-MM-DD"),
        ),
    ],
)
def test_a_bad_consent_column_is_named(change: dict[str, str], error: FieldError) -> None:
    [row] = read_rows(rows(SUD_ROW | change))
    checked = check_row(row, payer_ids={"sandbox-commercial"})
    assert checked.errors == [error]


def test_the_api_request_keeps_working_without_consents() -> None:
    assert request("ppo").consents == []
    with pytest.raises(ValidationError, match="recipient"):
        Part2Consent.model_validate({**part2_consent("x"), "recipient": ""})


def test_the_latest_failing_consent_explains_the_refusal_and_any_valid_one_permits() -> None:
    medicaid = RecipientMatch("sandbox-medicaid", "Sandbox Medicaid")
    old = Part2Consent.model_validate(part2_consent("sandbox-medicaid", expires_on="2026-02-01"))
    revoked = Part2Consent.model_validate(
        part2_consent("Sandbox Medicaid", signed_on="2026-03-01", revoked_on="2026-04-01")
    )
    today = date(2026, 6, 1)
    assert check_consent([old, revoked], is_recipient=medicaid, today=today).refusal == (
        "revoked on 04/01/2026"
    )
    # Revoked from a later day: still valid today.
    assert check_consent([revoked], is_recipient=medicaid, today=date(2026, 3, 31)).consent
    # Valid on its expiry day, expired the day after.
    assert check_consent([old], is_recipient=medicaid, today=date(2026, 2, 1)).consent
    assert check_consent([old], is_recipient=medicaid, today=date(2026, 2, 2)).refusal == (
        "expired on 02/01/2026"
    )
    fresh = Part2Consent.model_validate(part2_consent("SANDBOX-MEDICAID"))
    assert check_consent([old, revoked, fresh], is_recipient=medicaid, today=today).consent == fresh
    assert check_consent([fresh], is_recipient=RecipientMatch("other"), today=today).refusal == (
        "none on file"
    )
