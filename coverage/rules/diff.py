"""What changes between two rule books: payers, allowed amounts, self-pay rates, criteria, policy
limits and the reference tables, in the words an operator checks before an edit takes effect.
A version number or a citation changing alone is not a change of rules and is left out."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from coverage.rules.book import RuleBook

# Left out: the version label and the citation (they change with every edit), notes, examples.
_HEADER = {"kind", "version", "source", "notes", "examples", "stable"}


@dataclass(frozen=True)
class Change:
    area: str  # "payer", "allowed amount", "criterion", ...
    subject: str  # what in that area: "keystone-ppo", "keystone-ppo in network from 2024-01-01"
    change: Literal["added", "removed", "changed"]
    details: tuple[str, ...] = ()  # "network_status: in_network -> out_of_network"

    def __str__(self) -> str:
        text = f"{self.area} {self.subject}: {self.change}"
        return text + (f" ({'; '.join(self.details)})" if self.details else "")


def _flat(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _flat(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            yield from _flat(inner, f"{prefix}.{index}")
    elif value is not None:
        yield prefix, str(value)


def _fields(model: BaseModel, exclude: set[str]) -> dict[str, str]:
    return dict(_flat(model.model_dump(mode="json", exclude=exclude)))


def _entities(book: RuleBook) -> dict[tuple[str, str], dict[str, str]]:
    found: dict[tuple[str, str], dict[str, str]] = {}
    for payer in book.payers.values():
        found[("payer", payer.id)] = _fields(payer, _HEADER | {"id", "effective"})
    for (payer_id, network), entries in book.rate_entries.items():
        for e in entries:
            subject = f"{payer_id} {network.value.replace('_', ' ')} from {e.start.isoformat()}"
            found[("allowed amount", subject)] = {
                "per_day": str(e.rate.per_day),
                "unit": e.rate.unit,
                "until": e.end.isoformat() if e.end else "open",
                "status": e.status,
            }
    for _, schedule in book.fee_schedule_files:
        if schedule.self_pay_per_day is not None:
            found[("self-pay rate", f"from {schedule.effective.isoformat()}")] = {
                "per_day": str(schedule.self_pay_per_day),
                "until": schedule.expires.isoformat() if schedule.expires else "open",
            }
    for rules in book.rules:
        model = rules.model
        name = f"{model.id} from {model.effective.isoformat()}"
        found[(model.kind.replace("_", " "), name)] = _fields(
            model, _HEADER | {"id", "criteria", "effective"}
        )
        for criterion in model.criteria:
            found[("criterion", f"{model.id}/{criterion.id}")] = _fields(criterion, {"source"})
    for _, guideline in book.guideline_files:
        found[("poverty guidelines", str(guideline.year))] = _fields(guideline, _HEADER)
    for _, part_b in book.part_b_files:
        for year, terms in part_b.years.items():
            found[("Medicare Part B", str(year))] = _fields(terms, {"source"})
    found[("sliding-scale policy", "")] = _fields(book.policy_file[1], _HEADER)
    return found


def diff(old: RuleBook, new: RuleBook) -> list[Change]:
    """Every change from `old` to `new`, by area then subject."""
    before, after = _entities(old), _entities(new)
    changes: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        area, subject = key
        if key not in before:
            changes.append(Change(area, subject, "added"))
        elif key not in after:
            changes.append(Change(area, subject, "removed"))
        else:
            details = tuple(
                f"{field}: {before[key].get(field, '(none)')} -> {after[key].get(field, '(none)')}"
                for field in sorted(before[key].keys() | after[key].keys())
                if before[key].get(field) != after[key].get(field)
            )
            if details:
                changes.append(Change(area, subject, "changed", details))
    return changes
