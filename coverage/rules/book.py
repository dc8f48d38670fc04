"""The rule book as loaded: validated rule data, where each value came from, and the look-ups an
estimate asks of it.

Data runs out: a fee schedule, a year of Medicare Part B amounts or a year of poverty guidelines
ends, and the next one is published later. A look-up past the end of its data carries the last
value forward and says so (`carried_from`), so a verification is never stopped by the calendar;
the caller flags such a value as a default and lists it in `drafts_used`, never as verified. The
facility's own self-pay price is open-ended: it holds until a later schedule replaces it.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from yaml.nodes import Node

from coverage.domain.eligibility import Network
from coverage.domain.findings import RuleFileRef
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Program
from coverage.domain.sliding_scale import PovertyGuideline, SlidingScalePolicy, pick_guideline
from coverage.rules.errors import RuleLookupError, RuleWarning
from coverage.rules.expressions import Compiled
from coverage.rules.files import RuleSource
from coverage.rules.parsing import node_at
from coverage.rules.policy_schema import CoveragePolicyFile, MedicalNecessityFile
from coverage.rules.schema import (
    FeeScheduleFile,
    MedicarePartBFile,
    PartBYear,
    PayerRate,
    PovertyGuidelinesFile,
    SlidingScalePolicyFile,
)


@dataclass(frozen=True)
class RuleFileDates:
    """A loaded file's effective window and status, for the operators' rule-book page (not
    stored with results: RuleFileRef is)."""

    effective: date | None
    expires: date | None
    status: str


@dataclass(frozen=True)
class LoadedRules:
    """A coverage_policy or medical_necessity file with each criterion compiled once."""

    display: str
    model: CoveragePolicyFile | MedicalNecessityFile
    compiled: dict[str, Compiled]


@dataclass(frozen=True)
class RateEntry:
    """One allowed amount of one fee schedule, with the dates it holds (its own window within
    its file's)."""

    payer_id: str
    rate: PayerRate
    schedule: FeeScheduleFile
    display: str
    index: int  # position in the file's list for this payer, to find its line

    @property
    def start(self) -> date:
        return max(self.schedule.effective, self.rate.effective or self.schedule.effective)

    @property
    def end(self) -> date | None:
        ends = [d for d in (self.schedule.expires, self.rate.expires) if d is not None]
        return min(ends) if ends else None

    @property
    def status(self) -> str:
        return self.rate.status or self.schedule.status

    def holds_on(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True)
class FoundRate:
    """An allowed amount for a service day; `carried_from` is its last day when used past it."""

    entry: RateEntry
    carried_from: date | None = None

    @property
    def rate(self) -> PayerRate:
        return self.entry.rate

    @property
    def status(self) -> str:
        return self.entry.status


@dataclass(frozen=True)
class FoundPartB:
    terms: PartBYear
    display: str
    year: int  # the year the amounts are for; earlier than asked when carried forward

    def carried(self, asked: int) -> bool:
        return self.year != asked


@dataclass(frozen=True)
class FoundGuideline:
    guideline: PovertyGuideline
    display: str
    carried_from: date | None = None  # the file's `expires`, when used past it


def carried_note(what: str, display: str, last: date) -> str:
    """The drafts_used line for a value used past the end of its data: one line per value,
    whichever days it priced (the estimate's days say which)."""
    return (
        f"{display}: {what} ended {last.isoformat()}; carried forward until newer data is added "
        "(not verified)"
    )


@dataclass
class RuleBook:
    """Validated rule data plus where each value came from (file, version, hash, status)."""

    source: RuleSource
    payers: dict[str, PayerConfig]
    payer_files: dict[str, str]  # payer id -> file (as displayed)
    guideline_files: list[tuple[str, PovertyGuidelinesFile]]
    policy_file: tuple[str, SlidingScalePolicyFile]
    fee_schedule_files: list[tuple[str, FeeScheduleFile]]
    part_b_files: list[tuple[str, MedicarePartBFile]]
    # coverage_policy and medical_necessity files with their criteria compiled.
    rules: list[LoadedRules]
    files: list[RuleFileRef]
    nodes: dict[str, Node]  # file (as displayed) -> its YAML tree, to name lines
    file_dates: dict[Path, RuleFileDates]  # path relative to the rules dir -> window, status
    # kind -> [(path relative to the rules dir, parsed mapping)] for kinds this service ignores.
    other_files: dict[str, list[tuple[Path, dict[str, Any]]]] = field(default_factory=dict)
    # Problems found at load that do not stop the book (ignored files, rates for no payer).
    notices: list[RuleWarning] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.guidelines: list[PovertyGuideline] = [
            PovertyGuideline(
                year=f.year,
                effective=f.effective,
                geography=geography,
                first_person=amounts.first_person,
                per_additional_person=amounts.per_additional_person,
            )
            for _, f in self.guideline_files
            for geography, amounts in f.geographies.items()
        ]
        self.sliding_scale_policy: SlidingScalePolicy = self.policy_file[1].policy()
        self.fee_schedules: list[FeeScheduleFile] = [f for _, f in self.fee_schedule_files]
        self.rate_entries: dict[tuple[str, Network], list[RateEntry]] = {}
        for display, schedule in self.fee_schedule_files:
            for payer_id, rates in schedule.payers.items():
                for index, rate in enumerate(rates):
                    self.rate_entries.setdefault((payer_id, rate.network), []).append(
                        RateEntry(payer_id, rate, schedule, display, index)
                    )

    @property
    def version(self) -> str:
        """The content address of the files this book was loaded from (RuleSource.version)."""
        return self.source.version

    def line(self, display: str, location: tuple[int | str, ...]) -> int | None:
        node = self.nodes.get(display)
        if node is None:
            return None
        found = node_at(node, location)
        return found.start_mark.line + 1 if found.start_mark is not None else None

    def rules_for(self, payer: PayerConfig | None, program: Program, on: date) -> list[LoadedRules]:
        """The coverage policies and medical-necessity files in force on `on` for this payer and
        program (self-pay: the files that name no payer, type or state)."""
        return [
            r
            for r in self.rules
            if r.model.in_force(on) and r.model.applies_to.matches(payer, program)
        ]

    def files_in_force(self, on: date, *, state: str) -> set[str]:
        """Fee schedules, the poverty-guideline year and the sliding-scale policy for a date."""
        displays = {self.self_pay_schedule(on)[0], self.policy_file[0]}
        displays |= {d for d, f in self.fee_schedule_files if f.in_force(on)}
        try:
            displays.add(self.guideline(state=state, on=on).display)
        except RuleLookupError:
            pass
        return displays

    def ref(self, display: str) -> RuleFileRef:
        relative = display.split("/", 1)[1]
        return next(f for f in self.files if f.path.as_posix() == relative)

    def payer_rate(self, payer_id: str, network: Network, on: date) -> FoundRate:
        """The allowed amount (amount and unit) for a service day; past the end of the last one,
        that one carried forward."""
        entries = self.rate_entries.get((payer_id, network), [])
        holding = [e for e in entries if e.holds_on(on)]
        if len(holding) > 1:
            raise RuleLookupError(
                f"more than one allowed amount for {payer_id} {network} on {on.isoformat()}"
            )
        if holding:
            return FoundRate(holding[0])
        ended = [e for e in entries if e.start <= on and e.end is not None]
        if not ended:
            raise RuleLookupError(f"no allowed amount for {payer_id} {network} on {on.isoformat()}")
        last = max(ended, key=lambda e: (e.end or date.max, e.start))
        return FoundRate(last, carried_from=last.end)

    def self_pay_schedule(self, on: date) -> tuple[str, FeeScheduleFile]:
        """The schedule whose self-pay rate holds on a date: one in force, else the latest that
        started before it (the facility's price is open-ended until replaced)."""
        priced = [(d, f) for d, f in self.fee_schedule_files if f.self_pay_per_day is not None]
        in_force = [(d, f) for d, f in priced if f.in_force(on)]
        amounts = {f.self_pay_per_day for _, f in in_force}
        if len(amounts) > 1:
            raise RuleLookupError(f"conflicting self-pay rates on {on.isoformat()}")
        if in_force:
            return in_force[0]
        started = [(d, f) for d, f in priced if f.effective <= on]
        if not started:
            raise RuleLookupError(f"no self-pay rate on {on.isoformat()}")
        return max(started, key=lambda df: (df[1].effective, df[1].expires or date.max))

    def self_pay_per_day(self, on: date) -> Decimal:
        amount = self.self_pay_schedule(on)[1].self_pay_per_day
        assert amount is not None  # self_pay_schedule picks only schedules that give one
        return amount

    def part_b(self, year: int) -> FoundPartB:
        """Medicare Part B deductible and coinsurance for a calendar year, with the file it came
        from; a year not yet in the rule book gets the latest earlier year's amounts."""
        found = [(display, f) for display, f in self.part_b_files if year in f.years]
        if len(found) > 1:
            raise RuleLookupError(f"more than one Medicare Part B deductible for {year}")
        if found:
            display, part_b = found[0]
            return FoundPartB(part_b.years[year], display, year)
        earlier = [(y, display, f) for display, f in self.part_b_files for y in f.years if y < year]
        if not earlier:
            raise RuleLookupError(f"no Medicare Part B deductible for {year}")
        latest, display, part_b = max(earlier, key=lambda t: t[0])
        return FoundPartB(part_b.years[latest], display, latest)

    def guideline(self, *, state: str, on: date) -> FoundGuideline:
        """The poverty guideline in effect on a date for the state's geography (the latest HHS
        table effective by then); carried when its file's `expires` has passed."""
        try:
            chosen = pick_guideline(self.guidelines, state=state, on=on)
        except ValueError as exc:
            raise RuleLookupError(str(exc)) from None
        display, source = next((d, f) for d, f in self.guideline_files if f.year == chosen.year)
        carried = source.expires if source.expires is not None and on > source.expires else None
        return FoundGuideline(chosen, display, carried)

    def drafts_used(self, *, on: date, state: str | None = None) -> list[str]:
        """Draft (unconfirmed) or carried-forward facts of the reference tables an estimate for
        this date and state relies on (the estimate adds the allowed amounts it used). The caller
        shows these to staff next to the estimate; they are never silently dropped."""
        notes: list[str] = []
        policy_display, policy = self.policy_file
        if policy.status == "draft":
            notes.append(f"{policy_display}: sliding-scale policy is draft")
        for display, schedule in self.fee_schedule_files:
            if schedule.in_force(on) and schedule.status == "draft":
                notes.append(f"{display}: fee schedule is draft")
        if state is not None:
            try:
                chosen = self.guideline(state=state, on=on)
            except RuleLookupError:
                return notes
            year = chosen.guideline.year
            source = next(f for d, f in self.guideline_files if d == chosen.display)
            if source.status == "draft":
                notes.append(f"{chosen.display}: {year} poverty guidelines are draft")
            elif source.effective_status == "draft":
                notes.append(
                    f"{chosen.display}: effective date of the {year} poverty guidelines is draft"
                )
            if chosen.carried_from is not None:
                notes.append(
                    carried_note(
                        f"the {year} poverty guidelines", chosen.display, chosen.carried_from
                    )
                )
        return notes
