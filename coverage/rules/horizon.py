"""No silent expiry: what the rule book needs that runs out soon, said weeks before it does.

Fee schedules, Medicare Part B years, poverty guidelines and policies all end. A look-up past the
end carries the last value forward, flagged (coverage/rules/book.py), so verifications go on; these
warnings tell the operator in time to add the next data instead. `warning_days` is how far ahead
an end is announced, `horizon_days` how far ahead a payer's first allowed amount may start (with
a warning; later, the book is refused: coverage/rules/consistency.py).
"""

from collections import defaultdict
from datetime import date

from coverage.domain.calendar import days_after
from coverage.domain.eligibility import InsuranceType
from coverage.rules.book import RateEntry, RuleBook
from coverage.rules.errors import RuleWarning
from coverage.rules.policy_schema import CoveragePolicyFile


def _when(end: date, today: date) -> str:
    """ "end on 2026-12-31 (in 46 days)" or "ended on 2026-12-31"."""
    if end < today:
        return f"ended on {end.isoformat()}"
    days = (end - today).days
    if days == 0:
        return f"end today, {end.isoformat()}"
    return f"end on {end.isoformat()} (in {days} day{'s' if days != 1 else ''})"


def _end_location(entry: RateEntry) -> tuple[int | str, ...]:
    own = entry.rate.expires
    if own is not None and (entry.schedule.expires is None or own <= entry.schedule.expires):
        return ("payers", entry.payer_id, entry.index, "expires")
    return ("expires",)


def _allowed_amounts(book: RuleBook, today: date, soon: date, horizon: date) -> list[RuleWarning]:
    ending: dict[tuple[str, date, tuple[int | str, ...]], list[str]] = defaultdict(list)
    warnings: list[RuleWarning] = []
    for payer in sorted(book.payers.values(), key=lambda p: p.id):
        entries = book.rate_entries.get((payer.id, payer.network_status), [])
        if payer.contract == "none" or not entries:
            continue
        first = min(entries, key=lambda e: e.start)
        if today < first.start <= horizon:
            warnings.append(
                RuleWarning(
                    first.display,
                    book.line(first.display, ("payers", payer.id, first.index)),
                    f"no allowed amount for {payer.id} before {first.start.isoformat()}: "
                    "verifications of episodes that start earlier end as a rule-book gap",
                )
            )
        if any(e.end is None for e in entries):
            continue
        last = max(entries, key=lambda e: (e.end or date.max, e.start))
        assert last.end is not None
        if last.end <= soon:
            ending[(last.display, last.end, _end_location(last))].append(payer.id)
    for (display, end, location), payers in ending.items():
        warnings.append(
            RuleWarning(
                display,
                book.line(display, location),
                f"allowed amounts for {', '.join(payers)} {_when(end, today)}; later service "
                "days use the last amount, flagged on every estimate as carried forward: add "
                "the next fee schedule",
            )
        )
    return warnings


def _part_b(book: RuleBook, today: date, soon: date) -> list[RuleWarning]:
    needed = any(p.type is InsuranceType.MEDICARE for p in book.payers.values()) or any(
        isinstance(r.model, CoveragePolicyFile)
        and r.model.cost_sharing is not None
        and r.model.cost_sharing.part_b is not None
        for r in book.rules
    )
    years = [(year, display) for display, f in book.part_b_files for year in f.years]
    if not needed or not years:
        return []
    last, display = max(years)
    end = date(last, 12, 31)
    if end > soon:
        return []
    return [
        RuleWarning(
            display,
            book.line(display, ("years", last)),
            f"Medicare Part B amounts {_when(end, today)}: {last} is the last year; from "
            f"1 January {last + 1} the {last} deductible and coinsurance are carried forward, "
            f"flagged on every estimate: add {last + 1} when CMS announces it",
        )
    ]


def _guidelines(book: RuleBook, today: date, soon: date) -> list[RuleWarning]:
    if not book.guideline_files:
        return []
    display, latest = max(book.guideline_files, key=lambda df: df[1].year)
    if latest.expires is None or latest.expires > soon:
        return []
    return [
        RuleWarning(
            display,
            book.line(display, ("expires",)),
            f"the {latest.year} poverty guidelines {_when(latest.expires, today)}; later "
            "dates use them, flagged on every estimate as carried forward: add the "
            f"{latest.year + 1} guidelines when HHS publishes them",
        )
    ]


def _policies(book: RuleBook, today: date, soon: date) -> list[RuleWarning]:
    warnings: list[RuleWarning] = []
    for rules in book.rules:
        model = rules.model
        if model.expires is None or model.expires > soon:
            continue
        successor = any(
            other.model.kind == model.kind
            and other.model.id == model.id
            and other.model.effective > model.expires
            for other in book.rules
        )
        if not successor:
            warnings.append(
                RuleWarning(
                    rules.display,
                    book.line(rules.display, ("expires",)),
                    f"{model.kind.replace('_', ' ')} {model.id!r}: its dates {_when(model.expires, today)} "
                    "with no later version; episodes after it are assessed without it",
                )
            )
    display, policy = book.policy_file
    if policy.expires is not None and policy.expires <= soon:
        warnings.append(
            RuleWarning(
                display,
                book.line(display, ("expires",)),
                f"the sliding-scale policy's dates {_when(policy.expires, today)}; it stays in use "
                "until it is replaced: add the next one",
            )
        )
    return warnings


def expiry_warnings(
    book: RuleBook, *, today: date, warning_days: int, horizon_days: int
) -> list[RuleWarning]:
    """What the book needs that ends within `warning_days` (or has ended), and data that starts
    only within `horizon_days`, sorted by file."""
    soon, horizon = days_after(today, warning_days), days_after(today, horizon_days)
    warnings = [
        *_allowed_amounts(book, today, soon, horizon),
        *_part_b(book, today, soon),
        *_guidelines(book, today, soon),
        *_policies(book, today, soon),
    ]
    return sorted(warnings, key=lambda w: (w.path, w.line or 0))
