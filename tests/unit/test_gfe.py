"""Good Faith Estimate: every 45 CFR 149.610(c)(1) element, the 12-month scope, printable HTML."""

from datetime import date
from decimal import Decimal as D

import pytest

from coverage.api.documents import render_gfe
from coverage.domain.calendar import service_dates
from coverage.domain.gfe import build_gfe, delivery_deadline
from tests.unit.estimate_builders import FACILITY, plan


def gfe_for(weeks: int = 8, start: date = date(2026, 2, 2), rate: str = "80.00"):  # type: ignore[no-untyped-def]
    p = plan(weeks=weeks, start=start)
    return build_gfe(
        reason="uninsured",
        issued_on=date(2026, 1, 20),
        patient_name="Quinn <Selfpay>",
        patient_birth_date=date(1985, 7, 4),
        service_dates=service_dates(p),
        days_per_week=p.days_per_week,
        hours_per_day=p.hours_per_day,
        service_code="S9480",
        service_description="Intensive outpatient psychiatric services, per diem",
        diagnosis_codes=("F41.1",),
        full_rate=D("400.00"),
        rate=D(rate),
        discount="sliding scale class B",
        facility=FACILITY,
        separately_scheduled=("Psychiatric evaluation before admission",),
    )


def test_every_required_element_is_present() -> None:
    gfe = gfe_for()
    assert (gfe.patient_name, gfe.patient_birth_date) == (
        "Quinn <Selfpay>",
        date(1985, 7, 4),
    )  # (i)
    assert gfe.primary_service.startswith("Intensive outpatient program (IOP)")  # (ii)
    assert gfe.scheduled_start == date(2026, 2, 2)
    [provider] = gfe.providers  # (iii) grouped by provider, (v) identifiers and location
    assert provider.role == "convening_facility"
    assert (provider.facility.npi, provider.facility.tin, provider.facility.state) == (
        "1234567893", "12-3456789", "VA",
    )  # fmt: skip
    [line] = provider.lines  # (iv) diagnosis codes, service code, expected charges
    assert (line.service_code, line.diagnosis_codes) == ("S9480", ("F41.1",))
    # 3 days a week x 8 weeks = 24 units at $80.00 (after the sliding discount) = $1,920.00.
    assert (line.units_per_week, line.weeks, line.total_units) == (3, 8, 24)
    assert (line.full_rate, line.rate, line.total) == (D("400.00"), D("80.00"), D("1920.00"))
    assert gfe.total_expected_charges == D("1920.00")
    assert gfe.frequency == "3 service days a week for 8 weeks, 24 service days in total"
    assert gfe.separately_scheduled == ("Psychiatric evaluation before admission",)  # (vi)-(vii)
    assert "separate Good Faith Estimate will be issued" in gfe.separately_scheduled_statement
    text = " ".join(gfe.disclaimers)  # (viii), (ix), (x), not a contract
    assert "may recommend additional items or services" in text
    assert "based on information known at the time the estimate was created" in text
    assert "billed at least $400.00 more than this Good Faith Estimate" in text
    assert "within 120 calendar days" in text and "$25.00 fee" in text
    assert "will not affect the quality of your care" in text
    assert "is not a contract" in text
    assert gfe.valid_through == date(2027, 1, 20)


def test_recurring_services_are_covered_for_12_months_at_most() -> None:
    # 52 weeks from 2 Feb 2026 run to 29 Jan 2027, inside 12 months: all 156 days listed.
    assert gfe_for(weeks=52).total_visits == 156
    # From 1 Mar, 52 weeks end 27 Feb 2027: still before 1 Mar 2027.
    assert gfe_for(weeks=52, start=date(2026, 3, 2)).beyond_twelve_months == 0


def test_html_is_printable_and_escapes_patient_text() -> None:
    html = render_gfe(gfe_for().model_dump(mode="json"))
    assert "Good Faith Estimate for Health Care Items and Services" in html
    assert "Quinn &lt;Selfpay&gt;" in html and "<Selfpay>" not in html
    assert "$1,920.00" in html and "S9480" in html and "12-3456789" in html
    assert "@media print" in html


MON_26_JAN = date(2026, 1, 26)


@pytest.mark.parametrize(
    ("scheduled_on", "requested_on", "due_by", "paragraph"),
    [
        # Fri 9 Jan -> Mon 26 Jan: 12-16, 19-23 and 26 Jan = 11 business days ahead (>= 10): 3
        # business days after scheduling, the weekend skipped: Mon 12, Tue 13, Wed 14 Jan.
        (date(2026, 1, 9), None, date(2026, 1, 14), "(vi)(B)"),
        # Mon 12 Jan: 13-16, 19-23, 26 = exactly 10 ahead -> (B): Thu 15 Jan.
        (date(2026, 1, 12), None, date(2026, 1, 15), "(vi)(B)"),
        # Tue 13 Jan: 9 ahead -> (A), 1 business day after: Wed 14 Jan.
        (date(2026, 1, 13), None, date(2026, 1, 14), "(vi)(A)"),
        # Wed 21 Jan: Thu 22, Fri 23, Mon 26 = exactly 3 ahead -> (A): Thu 22 Jan.
        (date(2026, 1, 21), None, date(2026, 1, 22), "(vi)(A)"),
        # Fri 23 Jan scheduled with 1 business day ahead: no scheduling deadline; the request on
        # Sat 24 Jan gives 3 business days: Mon 26, Tue 27, Wed 28 Jan.
        (date(2026, 1, 23), date(2026, 1, 24), date(2026, 1, 28), "(vi)(C)"),
        # Both: scheduled Fri 9 Jan (-> Wed 14) and requested Mon 12 Jan (-> Thu 15): earliest.
        (date(2026, 1, 9), date(2026, 1, 12), date(2026, 1, 14), "(vi)(B)"),
    ],
)
def test_delivery_deadline_in_business_days(
    scheduled_on: date, requested_on: date | None, due_by: date, paragraph: str
) -> None:
    deadline = delivery_deadline(MON_26_JAN, scheduled_on=scheduled_on, requested_on=requested_on)
    assert deadline is not None
    assert (deadline.due_by, deadline.paragraph) == (due_by, f"45 CFR 149.610(b)(1){paragraph}")
    assert deadline.holidays_considered is False


def test_no_deadline_without_a_date_or_when_booked_under_3_business_days_ahead() -> None:
    assert delivery_deadline(MON_26_JAN, scheduled_on=None, requested_on=None) is None
    # Thu 22 Jan: Fri 23 and Mon 26 = 2 business days ahead.
    assert delivery_deadline(MON_26_JAN, scheduled_on=date(2026, 1, 22), requested_on=None) is None


def test_the_deadline_is_in_the_gfe_json_and_html() -> None:
    gfe = gfe_for(start=MON_26_JAN).model_copy(
        update={
            "deliver_by": delivery_deadline(
                MON_26_JAN, scheduled_on=date(2026, 1, 9), requested_on=None
            )
        }
    )
    data = gfe.model_dump(mode="json")
    assert data["deliver_by"]["due_by"] == "2026-01-14"
    html = render_gfe(data)
    assert "deliver this estimate to the patient by 2026-01-14" in html
    assert "45 CFR 149.610(b)(1)(vi)(B)" in html
    assert "deliver this estimate" not in render_gfe(gfe_for().model_dump(mode="json"))
