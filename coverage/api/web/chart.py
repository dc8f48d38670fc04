"""The estimate's chart as plain geometry for a server-rendered SVG (web/chart.html): stacked bars
of the patient's and the payers' cost per week, a line of the patient's cost so far in the plan
year, and a dashed line at the out-of-pocket maximum left when the payer reported one.

Pure functions: the template only draws what is computed here, so the numbers are testable and
the page needs no script. Coordinates are Decimals rounded to 0.1 of a user unit.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from coverage.api.web.render import money, us_date
from coverage.domain.estimate import Estimate

WIDTH, HEIGHT = 680, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 20, 40  # room for the $ labels and the week numbers
BAR_SHARE = Decimal("0.6")  # of each week's slot; the rest is the gap between bars
MAX_WEEK_LABELS = 16
ZERO = Decimal(0)
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class ChartWeek:
    """One week as the chart needs it, read from the estimate (see chart_weeks)."""

    week: int
    patient: Decimal
    payer: Decimal
    plan_year: str  # the plan year of the week's last day (ISO date of its start)
    patient_so_far: Decimal  # the patient's cost in that plan year up to the week's end
    oop_remaining: Decimal | None  # out-of-pocket maximum left when that plan year began


@dataclass(frozen=True)
class Bar:
    week: int
    x: Decimal
    width: Decimal
    patient_y: Decimal
    patient_height: Decimal
    payer_y: Decimal
    payer_height: Decimal
    label: str


@dataclass(frozen=True)
class Tick:
    at: Decimal  # y for the amount axis, x (bar centre) for the week axis
    label: str


@dataclass(frozen=True)
class Point:
    x: Decimal
    y: Decimal
    label: str


@dataclass(frozen=True)
class Limit:
    """The dashed out-of-pocket line over the weeks of one plan year."""

    x1: Decimal
    x2: Decimal
    y: Decimal
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    top_amount: Decimal
    bars: tuple[Bar, ...]
    lines: tuple[tuple[Point, ...], ...]  # one line per plan year: the sum restarts with it
    limits: tuple[Limit, ...]
    amount_ticks: tuple[Tick, ...]
    week_ticks: tuple[Tick, ...]

    @property
    def polylines(self) -> list[str]:
        return [" ".join(f"{p.x},{p.y}" for p in line) for line in self.lines]


def _at(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def nice_step(largest: Decimal) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving at most four intervals."""
    raw = largest / 4
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for multiple in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if multiple * magnitude >= raw:
            return multiple * magnitude
    raise AssertionError("unreachable: 10 x magnitude always covers raw")


def _axis_label(amount: Decimal) -> str:
    whole = amount == amount.to_integral_value()
    return f"${int(amount):,}" if whole else money(amount)


def _groups(weeks: Sequence[ChartWeek]) -> list[list[int]]:
    """Indexes of consecutive weeks in the same plan year."""
    groups: list[list[int]] = []
    for index, week in enumerate(weeks):
        if groups and weeks[groups[-1][-1]].plan_year == week.plan_year:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def cost_chart(weeks: Sequence[ChartWeek]) -> Chart:
    plot_width = Decimal(WIDTH - LEFT - RIGHT)
    plot_height = Decimal(HEIGHT - TOP - BOTTOM)
    baseline = Decimal(HEIGHT - BOTTOM)
    largest = max(
        [w.patient + w.payer for w in weeks]
        + [w.patient_so_far for w in weeks]
        + [w.oop_remaining for w in weeks if w.oop_remaining is not None]
        + [ZERO]
    )
    if largest <= 0:
        largest = Decimal(100)  # an empty or all-zero estimate still gets a readable axis
    step = nice_step(largest)
    top_amount = step * (largest / step).to_integral_value(rounding=ROUND_CEILING)

    def y(amount: Decimal) -> Decimal:
        return _at(baseline - amount * plot_height / top_amount)

    slot = plot_width / max(len(weeks), 1)
    bar_width = slot * BAR_SHARE

    def slot_start(index: int) -> Decimal:
        return LEFT + slot * index

    def centre(index: int) -> Decimal:
        return _at(slot_start(index) + slot / 2)

    bars = []
    for index, week in enumerate(weeks):
        patient_top = y(week.patient)
        stack_top = y(week.patient + week.payer)
        bars.append(
            Bar(
                week=week.week,
                x=_at(slot_start(index) + (slot - bar_width) / 2),
                width=_at(bar_width),
                patient_y=patient_top,
                patient_height=_at(baseline - patient_top),
                payer_y=stack_top,
                payer_height=_at(patient_top - stack_top),
                label=f"Week {week.week}: patient {money(week.patient)}, "
                f"payers {money(week.payer)}",
            )
        )
    lines = []
    limits = []
    for group in _groups(weeks):
        lines.append(
            tuple(
                Point(
                    centre(i),
                    y(weeks[i].patient_so_far),
                    f"Week {weeks[i].week}: patient so far {money(weeks[i].patient_so_far)}",
                )
                for i in group
            )
        )
        left_over = weeks[group[0]].oop_remaining
        if left_over is not None:
            limits.append(
                Limit(
                    x1=_at(slot_start(group[0])),
                    x2=_at(slot_start(group[-1] + 1)),
                    y=y(left_over),
                    label=f"Out-of-pocket maximum left {money(left_over)}",
                )
            )
    every = 1 if len(weeks) <= MAX_WEEK_LABELS else -(-len(weeks) // 12)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        top_amount=top_amount,
        bars=tuple(bars),
        lines=tuple(lines),
        limits=tuple(limits),
        amount_ticks=tuple(
            Tick(y(step * n), _axis_label(step * n)) for n in range(int(top_amount / step) + 1)
        ),
        week_ticks=tuple(
            Tick(centre(i), str(w.week))
            for i, w in enumerate(weeks)
            if i % every == 0 or i == len(weeks) - 1
        ),
    )


def chart_weeks(estimate: Estimate) -> list[ChartWeek]:
    """The estimate's weeks with the patient's cost so far in each plan year (it restarts when
    the deductible and out-of-pocket maximum do) and that year's out-of-pocket maximum left."""
    oop = {py.start.isoformat(): py.oop_remaining for py in estimate.plan_years}
    so_far: dict[str, Decimal] = {}
    at_week_end: dict[int, tuple[str, Decimal]] = {}
    for day in estimate.days:
        year = day.plan_year.isoformat()
        so_far[year] = so_far.get(year, ZERO) + day.patient
        at_week_end[day.week] = (year, so_far[year])
    found: list[ChartWeek] = []
    year, total = "", ZERO
    for week in estimate.weeks:
        year, total = at_week_end.get(week.week, (year, total))  # a week with no days
        found.append(
            ChartWeek(
                week=week.week,
                patient=week.patient,
                payer=week.payer,
                plan_year=year,
                patient_so_far=total,
                oop_remaining=oop.get(year),
            )
        )
    return found


def describe(weeks: Sequence[ChartWeek], *, patient_total: Decimal, payer_total: Decimal) -> str:
    """The chart in words, for screen readers (its <desc>); the week table follows it."""
    if not weeks:
        return "No service weeks in this estimate."
    costliest = max(weeks, key=lambda w: (w.patient, -w.week))
    parts = [
        f"Bar chart of {len(weeks)} weeks. The patient is estimated to pay "
        f"{money(patient_total)} and the payers {money(payer_total)} in total.",
        f"The patient's costliest week is week {costliest.week} ({money(costliest.patient)}).",
    ]
    years = _groups(weeks)
    if len(years) > 1:
        restarts = ", ".join(str(weeks[g[0]].week) for g in years[1:])
        parts.append(
            f"A new plan year begins in week {restarts}: the line of the patient's cost "
            "so far restarts there."
        )
    limits = [
        f"{money(weeks[g[0]].oop_remaining)} in the plan year from {us_date(weeks[g[0]].plan_year)}"
        for g in years
        if weeks[g[0]].oop_remaining is not None
    ]
    if limits:
        parts.append(
            "The dashed line is the out-of-pocket maximum left: " + "; ".join(limits) + "."
        )
    return " ".join(parts)


def weeks_by_number(weeks: Iterable[ChartWeek]) -> dict[int, ChartWeek]:
    return {w.week: w for w in weeks}
