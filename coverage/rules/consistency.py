"""Checks of the whole rule book, beyond each file alone: can it price and assess a verification?

Each problem names the file and line to change and says the fix in plain words. They run over
the files that validated on their own, even when another file did not, so an operator sees every
problem at once; a book that fails them is refused like a broken file, so the last good book
stays in force.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from itertools import combinations
from typing import Any

from coverage.domain.calendar import days_after
from coverage.domain.eligibility import InsuranceType
from coverage.domain.request import Ratings
from coverage.rules.book import RuleBook
from coverage.rules.errors import RuleFileError, RuleWarning
from coverage.rules.evaluate import coerce
from coverage.rules.examples import run_file
from coverage.rules.expressions import VARIABLES, Evaluation, activation
from coverage.rules.parsing import ParsedFile, error_at, place
from coverage.rules.policy_schema import CoveragePolicyFile
from coverage.rules.schema import RuleFileHeader

# Facts for trying every criterion before it meets a verification: all present, with each
# yes/no fact true and then false, then each fact that an intake may lack left out in turn.
_RATINGS = tuple(Ratings.model_fields)
_FULL: dict[str, Any] = {
    "age": 40,
    "state": "VA",
    "program": "co_occurring",
    "diagnoses": ["F33.1", "F10.20"],
    "has_sud_diagnosis": True,
    "recommended_level": "iop",
    "ratings": dict.fromkeys(_RATINGS, 2),
    "needs_withdrawal_management": True,
    "imminent_danger": True,
    "stable_housing": True,
    "level_of_care": "iop",
    "modality": "in_person",
    "hours_per_week": 12.0,
    "hours_per_day": 3.0,
    "days_per_week": 4,
    "weeks": 8,
    "service_days": 32,
    "payer_type": "commercial",
    "network": "in_network",
    "coverage_active": True,
    "medicare_qmb": True,
}
_MAY_BE_MISSING = (
    "recommended_level",
    "ratings",
    "needs_withdrawal_management",
    "imminent_danger",
    "stable_housing",
    "payer_type",
    "network",
    "coverage_active",
    "medicare_qmb",
)
assert set(_FULL) == set(VARIABLES), "a new CEL variable needs a trial value here"


def _first_common_day(a: tuple[date, date | None], b: tuple[date, date | None]) -> date | None:
    start = max(a[0], b[0])
    ends = [e for e in (a[1], b[1]) if e is not None]
    return start if not ends or start <= min(ends) else None


def book_errors(
    book: RuleBook,
    parsed: Mapping[str, ParsedFile],
    *,
    today: date,
    horizon_days: int,
    incomplete: frozenset[str] = frozenset(),
) -> list[RuleFileError]:
    """`incomplete`: kinds with a file that did not validate ("*": any kind). A check that
    something is missing is left out for those kinds: the broken file may hold it."""

    def complete(kind: str) -> bool:
        return not incomplete & {kind, "*"}

    return [
        *_self_pay(book, parsed, complete("fee_schedule")),
        *_allowed_amounts(book, parsed),
        *_payers_priced(book, parsed, complete),
        *_references(book, parsed, complete),
        *_priced_from_today(book, parsed, today, horizon_days, complete),
        *_criteria_run(book, parsed),
        *_examples_pass(book, parsed),
    ]


def _priced_from_today(
    book: RuleBook,
    parsed: Mapping[str, ParsedFile],
    today: date,
    horizon_days: int,
    complete: Callable[[str], bool],
) -> Iterator[RuleFileError]:
    """The book can price an episode that starts today: the facility's self-pay rate and the
    poverty guidelines are there for every verification; a payer's first allowed amount more
    than the horizon ahead is most likely a mistyped date (nearer, it is a warning)."""
    priced = [(d, f) for d, f in book.fee_schedule_files if f.self_pay_per_day is not None]
    if complete("fee_schedule"):
        yield from _starts_after(
            priced,
            today,
            parsed,
            "self-pay rate",
            "give a schedule in force today a self_pay_per_day",
        )
    if complete("poverty_guidelines"):
        yield from _starts_after(
            book.guideline_files,
            today,
            parsed,
            "poverty guidelines",
            "keep the current year's file",
        )
    if not complete("fee_schedule"):
        return
    horizon = days_after(today, horizon_days)
    for payer in book.payers.values():
        entries = book.rate_entries.get((payer.id, payer.network_status), [])
        first_rate = min(entries, key=lambda e: e.start, default=None)
        if first_rate is not None and first_rate.start > horizon:
            yield error_at(
                parsed[first_rate.display],
                ("payers", payer.id, first_rate.index, "effective"),
                f"the first allowed amount for {payer.id} starts {first_rate.start.isoformat()}, "
                "more "
                f"than {horizon_days} days ahead (a mistyped date?); until then its members "
                "cannot be verified",
            )


def _starts_after(
    files: Sequence[tuple[str, RuleFileHeader]],
    today: date,
    parsed: Mapping[str, ParsedFile],
    what: str,
    fix: str,
) -> Iterator[RuleFileError]:
    """An error when the earliest of `files` takes effect after today."""
    if not files:
        return
    display, first = min(files, key=lambda df: df[1].effective)
    if first.effective > today:
        yield error_at(
            parsed[display],
            ("effective",),
            f"no {what} before {first.effective.isoformat()}: every verification starting "
            f"earlier (today is {today.isoformat()}) would fail; {fix}",
        )


def _examples_pass(book: RuleBook, parsed: Mapping[str, ParsedFile]) -> Iterator[RuleFileError]:
    """A file's own examples are its tests: a book they fail is refused, not put in force."""
    for rules in book.rules:
        for case in run_file(rules):
            if not case.passed:
                yield error_at(
                    parsed[rules.display],
                    ("examples", case.index, "expect"),
                    f"examples.{case.index} ({case.name}): {'; '.join(case.failures)}",
                )


def book_notices(book: RuleBook, parsed: Mapping[str, ParsedFile]) -> list[RuleWarning]:
    """What the service ignores: unknown kinds and rates for payers with no payer file."""
    notices = [
        RuleWarning(
            book.source.display(path),
            1,
            f"kind {kind!r} is not one this service reads; the file is ignored",
        )
        for kind, files in book.other_files.items()
        for path, _ in files
    ]
    for display, schedule in book.fee_schedule_files:
        for payer_id in schedule.payers:
            if payer_id not in book.payers:
                notices.append(
                    RuleWarning(
                        display,
                        book.line(display, ("payers", payer_id)),
                        f"allowed amounts for {payer_id!r}, which has no payer file; they are "
                        "not used (a misspelled payer id?)",
                    )
                )
    return notices


def _self_pay(
    book: RuleBook, parsed: Mapping[str, ParsedFile], all_schedules: bool
) -> Iterator[RuleFileError]:
    priced = [(d, f) for d, f in book.fee_schedule_files if f.self_pay_per_day is not None]
    if not priced and all_schedules:
        yield RuleFileError(
            f"{book.source.root}/",
            None,
            "no fee schedule gives the facility's self-pay rate; add self_pay_per_day to one",
        )
    where = ("self_pay_per_day",)
    # Each conflict is reported at the schedule that starts later: usually the new edit.
    priced.sort(key=lambda df: (df[1].effective, df[0]))
    for (da, a), (db, b) in combinations(priced, 2):
        day = _first_common_day((a.effective, a.expires), (b.effective, b.expires))
        if day is not None and a.self_pay_per_day != b.self_pay_per_day:
            yield error_at(
                parsed[db],
                where,
                f"two self-pay rates in force on {day.isoformat()}: {place(parsed[da], where)} "
                f"says {a.self_pay_per_day}, {place(parsed[db], where)} says "
                f"{b.self_pay_per_day}; keep one",
            )


def _allowed_amounts(book: RuleBook, parsed: Mapping[str, ParsedFile]) -> Iterator[RuleFileError]:
    for (payer_id, network), entries in book.rate_entries.items():
        for a, b in combinations(sorted(entries, key=lambda e: (e.start, e.display)), 2):
            day = _first_common_day((a.start, a.end), (b.start, b.end))
            if day is None:
                continue
            at_a = ("payers", payer_id, a.index, "per_day")
            at_b = ("payers", payer_id, b.index, "per_day")
            yield error_at(
                parsed[b.display],
                at_b,
                f"two allowed amounts for {payer_id} {network.value.replace('_', ' ')} on "
                f"{day.isoformat()}: {place(parsed[a.display], at_a)} says {a.rate.per_day}, "
                f"{place(parsed[b.display], at_b)} says {b.rate.per_day}; keep one, or end the "
                "earlier one with an expires date",
            )


def _payers_priced(
    book: RuleBook, parsed: Mapping[str, ParsedFile], complete: Callable[[str], bool]
) -> Iterator[RuleFileError]:
    for payer in book.payers.values():
        item = parsed[book.payer_files[payer.id]]
        entries = book.rate_entries.get((payer.id, payer.network_status), [])
        network = payer.network_status.value.replace("_", " ")
        if payer.contract == "none" and entries:
            yield error_at(
                item,
                ("contract",),
                f"contract: none, but {place(parsed[entries[0].display], ('payers', payer.id))} "
                f"gives {payer.id} an allowed amount; remove one of the two",
            )
        elif payer.contract != "none" and not entries and complete("fee_schedule"):
            yield error_at(
                item,
                ("network_status",),
                f"no fee schedule gives {payer.id} an allowed amount {network}: add one under "
                f"payers: {payer.id} in a fee schedule, or, with no contract, set "
                "'contract: none' and network_status: out_of_network",
            )
        if (
            payer.type is InsuranceType.MEDICARE
            and not book.part_b_files
            and complete("medicare_part_b")
        ):
            yield error_at(
                item,
                ("type",),
                "a Medicare payer needs the Part B deductible by year: add a medicare_part_b file",
            )
    if not book.guideline_files and complete("poverty_guidelines"):
        yield RuleFileError(
            f"{book.source.root}/",
            None,
            "no poverty_guidelines file: the sliding scale needs the HHS poverty guidelines",
        )


def _references(
    book: RuleBook, parsed: Mapping[str, ParsedFile], complete: Callable[[str], bool]
) -> Iterator[RuleFileError]:
    known = ", ".join(sorted(book.payers)) or "none"
    for rules in book.rules:
        model, item = rules.model, parsed[rules.display]
        for index, payer_id in enumerate(model.applies_to.payers):
            if payer_id not in book.payers and complete("payer"):
                yield error_at(
                    item,
                    ("applies_to", "payers", index),
                    f"applies_to.payers.{index}: no payer {payer_id!r} (payer files: {known}); "
                    "fix the id or add the payer",
                )
        if (
            isinstance(model, CoveragePolicyFile)
            and model.cost_sharing is not None
            and model.cost_sharing.part_b is not None
            and not book.part_b_files
            and complete("medicare_part_b")
        ):
            yield error_at(
                item,
                ("cost_sharing", "part_b"),
                "cost_sharing.part_b: reads the Part B amounts by year, but there is no "
                "medicare_part_b file; add one",
            )


def _trials(
    rules_examples: list[tuple[str, dict[str, Any]]],
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(which facts, the facts, whether a missing fact is acceptable)."""
    yield "every fact recorded", _FULL, False
    yield (
        "every fact recorded, each yes/no fact false",
        {name: (not value if isinstance(value, bool) else value) for name, value in _FULL.items()},
        False,
    )
    for name in _MAY_BE_MISSING:
        yield f"no {name.replace('_', ' ')} recorded", {**_FULL, name: None}, True
    for rating in _RATINGS:
        ratings = {k: v for k, v in _FULL["ratings"].items() if k != rating}
        yield f"no {rating.replace('_', ' ')} rating", {**_FULL, "ratings": ratings}, True
    for name, facts in rules_examples:
        yield f"example {name!r}", coerce(facts), True


def _criteria_run(book: RuleBook, parsed: Mapping[str, ParsedFile]) -> Iterator[RuleFileError]:
    """Every criterion run over trial facts and its file's examples: an evaluation the runtime
    gives up on, or an error with every fact recorded, is found here rather than in a job."""
    for rules in book.rules:
        examples = [(e.name, e.facts) for e in rules.model.examples]
        failed: set[str] = set()
        for label, facts, missing_ok in _trials(examples):
            bound = activation(facts)
            for index, criterion in enumerate(rules.model.criteria):
                if criterion.id in failed:
                    continue
                found: Evaluation = rules.compiled[criterion.id].evaluate(bound)
                if found.outcome != "unknown" or (missing_ok and not found.aborted):
                    continue
                failed.add(criterion.id)
                yield error_at(
                    parsed[rules.display],
                    ("criteria", index, "expr"),
                    f"criteria.{index}.expr: {found.why} (with {label}: {found.error}); "
                    "simplify the expression",
                    value=True,
                )
