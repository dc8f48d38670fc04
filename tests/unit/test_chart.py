"""The estimate chart's geometry, computed by hand for small cases.

Plot box: x 64..664 (600 wide), y 20..260 (240 high, baseline 260). With n weeks each week's
slot is 600/n wide and its bar 60 % of the slot, centred.
"""

from datetime import date
from decimal import Decimal as D
from typing import Any

from coverage.api.web.chart import (
    Bar,
    ChartWeek,
    Limit,
    Point,
    Tick,
    chart_weeks,
    cost_chart,
    describe,
    nice_step,
)
from coverage.domain.estimate import Estimate, EstimateDay, EstimateWeek, PlanYearTotal
from tests.partial import partial


def week(
    n: int, patient: str, payer: str, so_far: str, oop: str | None, year: str = "2026-01-01"
) -> ChartWeek:
    return ChartWeek(
        week=n,
        patient=D(patient),
        payer=D(payer),
        plan_year=year,
        patient_so_far=D(so_far),
        oop_remaining=D(oop) if oop is not None else None,
    )


THREE_WEEKS = [
    week(1, "300.00", "100.00", "300.00", "1000.00"),
    week(2, "200.00", "200.00", "500.00", "1000.00"),
    week(3, "100.00", "300.00", "600.00", "1000.00"),
]


def test_three_weeks_by_hand() -> None:
    # Largest amount $1,000 (the out-of-pocket maximum): step $250, axis to $1,000, so $1 is
    # 0.24 units. Slots of 200, bars of 120 starting 40 into the slot.
    chart = cost_chart(THREE_WEEKS)
    assert chart.top_amount == D(1000)
    assert chart.bars == (
        Bar(1, D(104), D(120), D(188), D(72), D(164), D(24), "Week 1: patient $300.00, payers $100.00"),
        Bar(2, D(304), D(120), D(212), D(48), D(164), D(48), "Week 2: patient $200.00, payers $200.00"),
        Bar(3, D(504), D(120), D(236), D(24), D(164), D(72), "Week 3: patient $100.00, payers $300.00"),
    )  # fmt: skip
    assert chart.lines == (
        (
            Point(D(164), D(188), "Week 1: patient so far $300.00"),
            Point(D(364), D(140), "Week 2: patient so far $500.00"),
            Point(D(564), D(116), "Week 3: patient so far $600.00"),
        ),
    )
    assert chart.polylines == ["164.0,188.0 364.0,140.0 564.0,116.0"]
    assert chart.limits == (Limit(D(64), D(664), D(20), "Out-of-pocket maximum left $1,000.00"),)
    assert chart.amount_ticks == (
        Tick(D(260), "$0"),
        Tick(D(200), "$250"),
        Tick(D(140), "$500"),
        Tick(D(80), "$750"),
        Tick(D(20), "$1,000"),
    )
    assert chart.week_ticks == (Tick(D(164), "1"), Tick(D(364), "2"), Tick(D(564), "3"))
    assert (chart.left, chart.right, chart.top, chart.bottom) == (64, 664, 20, 260)


def test_a_new_plan_year_starts_a_new_line_and_its_own_limit() -> None:
    # Two plan years, the second without a reported maximum. Largest: $1,200 week 2 stack ->
    # step $500, axis to $1,500, $1 = 0.16 units. Slots of 300: centres 214 and 514.
    chart = cost_chart(
        [
            week(1, "700.00", "300.00", "700.00", "800.00", "2026-01-01"),
            week(2, "900.00", "300.00", "900.00", None, "2027-01-01"),
        ]
    )
    assert chart.top_amount == D(1500)
    assert chart.lines == (
        (Point(D(214), D(148), "Week 1: patient so far $700.00"),),
        (Point(D(514), D(116), "Week 2: patient so far $900.00"),),
    )
    assert chart.limits == (Limit(D(64), D(364), D(132), "Out-of-pocket maximum left $800.00"),)


def test_odd_widths_round_to_a_tenth() -> None:
    # 7 weeks: slot 600/7 = 85.714..., bar 51.428... -> 51.4; first bar at 64 + 17.142... = 81.1
    chart = cost_chart([week(n, "10.00", "10.00", "10.00", None) for n in range(1, 8)])
    assert (chart.bars[0].x, chart.bars[0].width) == (D("81.1"), D("51.4"))
    assert chart.bars[6].x == D("595.4")  # 64 + 6 x 85.714 + 17.143 = 595.43


def test_an_all_zero_estimate_keeps_a_readable_axis() -> None:
    chart = cost_chart([week(1, "0.00", "0.00", "0.00", None)])
    assert chart.top_amount == D(100)
    assert [t.label for t in chart.amount_ticks] == ["$0", "$25", "$50", "$75", "$100"]
    assert (chart.bars[0].patient_height, chart.bars[0].payer_height) == (D(0), D(0))


def test_nice_steps() -> None:
    assert [nice_step(D(x)) for x in ("1050", "3120", "1000", "9600", "0.8")] == [
        D(500), D(1000), D(250), D(2500), D("0.2"),
    ]  # fmt: skip


def test_many_weeks_label_every_few_weeks() -> None:
    chart = cost_chart([week(n, "1.00", "1.00", "1.00", None) for n in range(1, 53)])
    labels = [t.label for t in chart.week_ticks]
    assert labels[:3] == ["1", "6", "11"] and labels[-1] == "52"


def typed(estimate: dict[str, Any]) -> Estimate:
    """Only the parts of an estimate the chart reads, typed as a stored result reads them."""
    return partial(
        Estimate,
        weeks=[partial(EstimateWeek, **_typed(w)) for w in estimate["weeks"]],
        days=[partial(EstimateDay, **_typed(d)) for d in estimate["days"]],
        plan_years=[partial(PlanYearTotal, **_typed(p)) for p in estimate["plan_years"]],
    )


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    dates, amounts = {"plan_year", "start"}, {"patient", "payer", "oop_remaining"}
    return {
        k: date.fromisoformat(v) if k in dates else D(v) if k in amounts and v is not None else v
        for k, v in values.items()
    } | ({} if "start" not in values or "oop_remaining" in values else {"oop_remaining": None})


def test_weeks_from_an_estimate_restart_the_sum_with_the_plan_year() -> None:
    # Week 2 holds the last day of 2026 and the first of 2027: the sum at its end is 2027's.
    estimate = {
        "weeks": [
            {"week": 1, "patient": "200.00", "payer": "100.00"},
            {"week": 2, "patient": "150.00", "payer": "150.00"},
            {"week": 3, "patient": "0.00", "payer": "0.00"},
        ],
        "days": [
            {"week": 1, "plan_year": "2026-01-01", "patient": "100.00"},
            {"week": 1, "plan_year": "2026-01-01", "patient": "100.00"},
            {"week": 2, "plan_year": "2026-01-01", "patient": "50.00"},
            {"week": 2, "plan_year": "2027-01-01", "patient": "100.00"},
        ],
        "plan_years": [
            {"start": "2026-01-01", "oop_remaining": "250.00"},
            {"start": "2027-01-01", "oop_remaining": None},
        ],
    }
    assert chart_weeks(typed(estimate)) == [
        week(1, "200.00", "100.00", "200.00", "250.00", "2026-01-01"),
        week(2, "150.00", "150.00", "100.00", None, "2027-01-01"),
        week(3, "0.00", "0.00", "100.00", None, "2027-01-01"),  # no days: carries on
    ]


def test_a_stored_result_without_the_maximum_draws_no_limit() -> None:
    # Results stored before plan years carried `oop_remaining`.
    estimate = {
        "weeks": [{"week": 1, "patient": "10.00", "payer": "5.00"}],
        "days": [{"week": 1, "plan_year": "2026-01-01", "patient": "10.00"}],
        "plan_years": [{"start": "2026-01-01"}],
    }
    assert cost_chart(chart_weeks(typed(estimate))).limits == ()


def test_the_description_summarises_the_totals() -> None:
    two_years = [*THREE_WEEKS, week(4, "400.00", "0.00", "400.00", "4000.00", "2027-01-01")]
    assert describe(two_years, patient_total=D("1000.00"), payer_total=D("600.00")) == (
        "Bar chart of 4 weeks. The patient is estimated to pay $1,000.00 and the payers "
        "$600.00 in total. The patient's costliest week is week 4 ($400.00). A new plan year "
        "begins in week 4: the line of the patient's cost so far restarts there. The dashed line "
        "is the out-of-pocket maximum left: $1,000.00 in the plan year from 01/01/2026; "
        "$4,000.00 in the plan year from 01/01/2027."
    )
