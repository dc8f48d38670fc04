"""Load payer_rules/*.yaml into a RuleBook, refusing anything that could be misread.

Every error names the file and line ("payer_rules/x.yaml:12: message") so an analyst can fix
the data without reading Python. Only the kinds this module knows are validated; other kinds are
parsed safely and handed over untouched in `other_files` for their own loaders.
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from coverage.domain.eligibility import Network
from coverage.domain.payer import PayerConfig
from coverage.domain.sliding_scale import (
    PovertyGuideline,
    SlidingScalePolicy,
    check_nominal_charges,
    pick_guideline,
)
from coverage.rules.schema import (
    KNOWN_KINDS,
    FeeScheduleFile,
    MedicarePartBFile,
    PartBYear,
    PayerRate,
    PovertyGuidelinesFile,
    RuleFileHeader,
    SlidingScalePolicyFile,
)

MAX_FILE_BYTES = 1024 * 1024
_FLOAT_TAG = "tag:yaml.org,2002:float"


class RuleFileError(Exception):
    """A rule file that cannot be used; str() is "payer_rules/x.yaml:LINE: message"."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class RuleLookupError(LookupError):
    """The rule book has no (or no single) answer for a question asked of it."""


class RuleFileRef(BaseModel):
    """Provenance of one loaded file, stored with each result (model_dump gives JSON)."""

    model_config = ConfigDict(frozen=True)

    path: Path  # relative to the rules directory
    kind: str
    version: str
    sha256: str


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases: no alias bombs, and no data silently shared by reference."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
            mark = event.start_mark if isinstance(event.start_mark, yaml.error.Mark) else None
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in rule files", mark
            )
        return super().compose_node(parent, index)


@dataclass(frozen=True)
class _Parsed:
    display: str
    relative: Path
    node: Node
    data: dict[str, Any]
    ref: RuleFileRef


def _line(node: Node) -> int | None:
    return node.start_mark.line + 1 if node.start_mark is not None else None


def _check_nodes(display: str, node: Node) -> None:
    """Refuse duplicate keys (PyYAML keeps the last one silently) and float literals (binary
    floats are not money: amounts and rates are written as quoted strings)."""
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    raise RuleFileError(display, _line(key), f"duplicate key {key.value!r}")
                seen.add(key.value)
            _check_nodes(display, value)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _check_nodes(display, item)
    elif isinstance(node, ScalarNode) and node.tag == _FLOAT_TAG:
        raise RuleFileError(
            display,
            _line(node),
            f"write {node.value} as a quoted string so it stays an exact decimal",
        )


def _parse(path: Path, rules_dir: Path) -> _Parsed:
    relative = path.relative_to(rules_dir)
    display = f"{rules_dir.name}/{relative.as_posix()}"
    with path.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise RuleFileError(display, None, f"larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleFileError(display, None, "not UTF-8 text") from None
    loader = _NoAliasLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise RuleFileError(display, 1, "empty file")
        _check_nodes(display, node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RuleFileError(display, line, exc.problem or exc.context or "invalid YAML") from None
    except yaml.YAMLError as exc:
        raise RuleFileError(display, None, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise RuleFileError(display, None, "nested too deeply") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise RuleFileError(display, _line(node), "top level must be a mapping with a 'kind' key")
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise RuleFileError(display, _line(node), "missing or non-text top-level key 'kind'")
    version = data.get("version")
    ref = RuleFileRef(
        path=relative,
        kind=kind,
        version=version if isinstance(version, str) else "",
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    return _Parsed(display=display, relative=relative, node=node, data=data, ref=ref)


def _line_for(node: Node, location: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location down the YAML node tree; stop at the deepest match."""
    line = _line(node)
    for part in location:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == str(part):
                    line, node = _line(key), value
                    break
            else:
                break
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = _line(node)
        else:
            break
    return line


def _validation_error(parsed: _Parsed, exc: ValidationError) -> RuleFileError:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    message = f"{where}: {first['msg']}" if where else first["msg"]
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return RuleFileError(parsed.display, _line_for(parsed.node, tuple(first["loc"])), message)


class RuleBook:
    """Validated rule data plus where each value came from (file, version, hash, status)."""

    def __init__(
        self,
        *,
        payers: dict[str, PayerConfig],
        guideline_files: list[tuple[str, PovertyGuidelinesFile]],
        policy_file: tuple[str, SlidingScalePolicyFile],
        fee_schedule_files: list[tuple[str, FeeScheduleFile]],
        files: list[RuleFileRef],
        other_files: dict[str, list[tuple[Path, dict[str, Any]]]],
        part_b_files: tuple[tuple[str, MedicarePartBFile], ...] = (),
    ) -> None:
        self.payers = payers
        self._guideline_files = guideline_files
        self._policy_file = policy_file
        self._fee_schedule_files = fee_schedule_files
        self.guidelines: list[PovertyGuideline] = [
            PovertyGuideline(
                year=f.year,
                effective=f.effective,
                geography=geography,
                first_person=amounts.first_person,
                per_additional_person=amounts.per_additional_person,
            )
            for _, f in guideline_files
            for geography, amounts in f.geographies.items()
        ]
        self.sliding_scale_policy: SlidingScalePolicy = policy_file[1].policy()
        self.fee_schedules: list[FeeScheduleFile] = [f for _, f in fee_schedule_files]
        self.files = files
        # kind -> [(path relative to the rules dir, parsed mapping)] for kinds loaded elsewhere.
        self.other_files = other_files
        self._part_b_files = part_b_files

    @classmethod
    def load(cls, rules_dir: Path) -> "RuleBook":
        parsed = [
            _parse(path, rules_dir)
            for path in sorted(rules_dir.rglob("*"))
            if path.suffix in (".yaml", ".yml") and path.is_file()
        ]
        guideline_files: list[tuple[str, PovertyGuidelinesFile]] = []
        policy_files: list[tuple[str, SlidingScalePolicyFile]] = []
        fee_schedule_files: list[tuple[str, FeeScheduleFile]] = []
        part_b_files: list[tuple[str, MedicarePartBFile]] = []
        other_files: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
        for item in parsed:
            model_cls = KNOWN_KINDS.get(item.ref.kind)
            if model_cls is None:
                other_files.setdefault(item.ref.kind, []).append((item.relative, item.data))
                continue
            try:
                model: RuleFileHeader = model_cls.model_validate(item.data)
            except ValidationError as exc:
                raise _validation_error(item, exc) from None
            if isinstance(model, PovertyGuidelinesFile):
                guideline_files.append((item.display, model))
            elif isinstance(model, SlidingScalePolicyFile):
                policy_files.append((item.display, model))
            elif isinstance(model, FeeScheduleFile):
                fee_schedule_files.append((item.display, model))
            elif isinstance(model, MedicarePartBFile):
                part_b_files.append((item.display, model))

        by_display = {item.display: item for item in parsed}
        years: dict[int, str] = {}
        for display, guideline in guideline_files:
            if guideline.year in years:
                line = _line_for(by_display[display].node, ("year",))
                raise RuleFileError(
                    display, line, f"year {guideline.year} also in {years[guideline.year]}"
                )
            years[guideline.year] = display
        if len(policy_files) != 1:
            where = policy_files[1][0] if policy_files else f"{rules_dir.name}/"
            raise RuleFileError(where, None, "exactly one sliding_scale_policy file is required")
        policy_display, policy = policy_files[0]
        for display, schedule in fee_schedule_files:
            try:
                check_nominal_charges(policy, full_per_day=schedule.self_pay_per_day)
            except ValueError as exc:
                line = _line_for(by_display[policy_display].node, ("classes",))
                raise RuleFileError(
                    policy_display, line, f"{exc} (self-pay rate of {display})"
                ) from None

        payers: dict[str, PayerConfig] = {}
        for relative, data in other_files.pop("payer", []):
            item = next(i for i in parsed if i.relative == relative)
            try:
                payer = PayerConfig.model_validate(data)
            except ValidationError as exc:
                raise _validation_error(item, exc) from None
            if payer.id in payers:
                raise RuleFileError(
                    item.display,
                    _line_for(item.node, ("id",)),
                    f"payer id {payer.id!r} is used twice",
                )
            payers[payer.id] = payer

        return cls(
            payers=payers,
            guideline_files=guideline_files,
            policy_file=policy_files[0],
            fee_schedule_files=fee_schedule_files,
            files=[item.ref for item in parsed],
            other_files=other_files,
            part_b_files=tuple(part_b_files),
        )

    def _schedules(self, on: date) -> list[tuple[str, FeeScheduleFile]]:
        return [(d, f) for d, f in self._fee_schedule_files if f.in_force(on)]

    def allowed_per_day(self, payer_id: str, network: Network, on: date) -> tuple[Decimal, str]:
        """Per-diem allowed amount and its status ("verified" or "draft") for a service date."""
        matches = [
            (rate, schedule)
            for _, schedule in self._schedules(on)
            for rate in schedule.rates(payer_id, network, on)
        ]
        if not matches:
            raise RuleLookupError(f"no allowed amount for {payer_id} {network} on {on.isoformat()}")
        if len(matches) > 1:
            raise RuleLookupError(
                f"more than one allowed amount for {payer_id} {network} on {on.isoformat()}"
            )
        rate, schedule = matches[0]
        return rate.per_day, rate.status or schedule.status

    def payer_rate(self, payer_id: str, network: Network, on: date) -> tuple[PayerRate, str]:
        """The fee-schedule entry (amount and unit) and its status for a service date."""
        matches = [
            (rate, schedule)
            for _, schedule in self._schedules(on)
            for rate in schedule.rates(payer_id, network, on)
        ]
        if len(matches) != 1:
            found = "no" if not matches else "more than one"
            raise RuleLookupError(f"{found} allowed amount for {payer_id} {network} on {on.isoformat()}")
        rate, schedule = matches[0]
        return rate, rate.status or schedule.status

    def part_b(self, year: int) -> tuple[PartBYear, str]:
        """Medicare Part B deductible and coinsurance for a calendar year, with the file it came from."""
        found = [(display, f.years[year]) for display, f in self._part_b_files if year in f.years]
        if len(found) != 1:
            what = "no" if not found else "more than one"
            raise RuleLookupError(f"{what} Medicare Part B deductible for {year}")
        display, part_b = found[0]
        return part_b, display

    def self_pay_per_day(self, on: date) -> Decimal:
        amounts = {schedule.self_pay_per_day for _, schedule in self._schedules(on)}
        if len(amounts) != 1:
            found = "no" if not amounts else "conflicting"
            raise RuleLookupError(f"{found} self-pay rate on {on.isoformat()}")
        return amounts.pop()

    def drafts_used(
        self,
        *,
        on: date,
        state: str | None = None,
        payer_id: str | None = None,
        network: Network | None = None,
    ) -> list[str]:
        """Draft (unconfirmed) facts an estimate for this date, state and payer relies on.

        The caller shows these to staff next to the estimate; they are never silently dropped.
        """
        notes: list[str] = []
        policy_display, policy = self._policy_file
        if policy.status == "draft":
            notes.append(f"{policy_display}: sliding-scale policy is draft")
        for display, schedule in self._schedules(on):
            if schedule.status == "draft":
                notes.append(f"{display}: fee schedule is draft")
            if payer_id is not None and network is not None:
                for rate in schedule.rates(payer_id, network, on):
                    if (rate.status or schedule.status) == "draft" and schedule.status != "draft":
                        notes.append(
                            f"{display}: {payer_id} {network} allowed amount "
                            f"${rate.per_day} is draft"
                        )
        if state is not None:
            try:
                guideline = pick_guideline(self.guidelines, state=state, on=on)
            except ValueError:
                return notes
            for display, guidelines_file in self._guideline_files:
                if guidelines_file.year != guideline.year:
                    continue
                if guidelines_file.status == "draft":
                    notes.append(f"{display}: {guideline.year} poverty guidelines are draft")
                elif guidelines_file.effective_status == "draft":
                    notes.append(
                        f"{display}: effective date of the {guideline.year} "
                        "poverty guidelines is draft"
                    )
        return notes
