"""Good Faith Estimate: every 45 CFR 149.610(c)(1) element, the 12-month scope, printable HTML."""

from datetime import date
from decimal import Decimal as D

from coverage.api.routes.estimates import render_gfe
from coverage.domain.calendar import service_dates
from coverage.domain.gfe import build_gfe
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
    assert "$1920.00" in html and "S9480" in html and "12-3456789" in html
    assert "@media print" in html
