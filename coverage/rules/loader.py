"""Load payer_rules/*.yaml into a RuleBook, refusing anything that could be misread.

Every error names the file and line ("payer_rules/x.yaml:12: message") so an analyst can fix
the data without reading Python. Only the kinds this module knows are validated; other kinds are
parsed safely and handed over untouched in `other_files` for their own loaders.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from coverage.domain.eligibility import Network
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Program
from coverage.domain.sliding_scale import (
    PovertyGuideline,
    SlidingScalePolicy,
    check_nominal_charges,
    pick_guideline,
)
from coverage.rules.expressions import Compiled, ExpressionError, compile_criterion
from coverage.rules.policy_schema import CoveragePolicyFile, MedicalNecessityFile
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
MAX_DEPTH = 12
# The adapters' plug-in group (coverage.adapters.base.ENTRY_POINT_GROUP); rules may not import adapters.
ADAPTER_GROUP = "coverage.payer_adapters"
KINDS: dict[str, type[RuleFileHeader]] = {
    **KNOWN_KINDS,
    "coverage_policy": CoveragePolicyFile,
    "medical_necessity": MedicalNecessityFile,
}
_FLOAT_TAG = "tag:yaml.org,2002:float"


class RuleFileError(Exception):
    """A rule file that cannot be used; str() is "payer_rules/x.yaml:LINE:COLUMN: message"."""

    def __init__(
        self, path: str | Path, line: int | None, message: str, column: int | None = None
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
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


@dataclass(frozen=True)
class RuleFileDates:
    """A loaded file's effective window and status, for the operators' rule-book page (not
    stored with results: RuleFileRef is)."""

    effective: date | None
    expires: date | None
    status: str


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _dates(data: Mapping[str, Any]) -> RuleFileDates:
    status = data.get("status")
    return RuleFileDates(
        effective=_as_date(data.get("effective")),
        expires=_as_date(data.get("expires")),
        status=status if isinstance(status, str) else "verified",
    )


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


def _column(node: Node) -> int | None:
    return node.start_mark.column + 1 if node.start_mark is not None else None


def _check_nodes(display: str, node: Node, depth: int = 1) -> None:
    """Refuse duplicate keys (PyYAML keeps the last one silently), float literals (binary
    floats are not money: amounts and rates are written as quoted strings) and deep nesting."""
    if depth > MAX_DEPTH:
        raise RuleFileError(
            display, _line(node), f"nested deeper than {MAX_DEPTH} levels", _column(node)
        )
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    raise RuleFileError(
                        display, _line(key), f"duplicate key {key.value!r}", _column(key)
                    )
                seen.add(key.value)
            _check_nodes(display, value, depth + 1)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _check_nodes(display, item, depth + 1)
    elif isinstance(node, ScalarNode) and node.tag == _FLOAT_TAG:
        raise RuleFileError(
            display,
            _line(node),
            f"write {node.value} as a quoted string so it stays an exact decimal",
            _column(node),
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
        column = mark.column + 1 if mark is not None else None
        raise RuleFileError(
            display, line, exc.problem or exc.context or "invalid YAML", column
        ) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(display, None, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise RuleFileError(display, None, "nested too deeply") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise RuleFileError(
            display, _line(node), "top level must be a mapping with a 'kind' key", _column(node)
        )
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise RuleFileError(
            display, _line(node), "missing or non-text top-level key 'kind'", _column(node)
        )
    version = data.get("version")
    ref = RuleFileRef(
        path=relative,
        kind=kind,
        version=version if isinstance(version, str) else "",
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    return _Parsed(display=display, relative=relative, node=node, data=data, ref=ref)


def _node_for(node: Node, location: tuple[int | str, ...], *, value: bool = False) -> Node:
    """Follow a pydantic error location down the YAML node tree; stop at the deepest match
    (a mapping entry resolves to its key, so the column points at the misspelled key, unless
    `value` asks for the value node)."""
    found = node
    for part in location:
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == str(part):
                    node = value_node
                    found = value_node if value else key_node
                    break
            else:
                break
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = found = node.value[part]
        else:
            break
    return found


def _line_for(node: Node, location: tuple[int | str, ...]) -> int | None:
    return _line(_node_for(node, location))


def _error_at(parsed: "_Parsed", location: tuple[int | str, ...], message: str) -> "RuleFileError":
    node = _node_for(parsed.node, location)
    return RuleFileError(parsed.display, _line(node), message, _column(node))


def _validation_error(parsed: _Parsed, exc: ValidationError) -> RuleFileError:
    # A misspelled key shows as "extra" and as "missing": point at the misspelling, in the file.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    message = f"{where}: {first['msg']}" if where else first["msg"]
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return _error_at(parsed, tuple(first["loc"]), message)


@dataclass(frozen=True)
class LoadedRules:
    """A coverage_policy or medical_necessity file with each criterion compiled once."""

    display: str
    model: CoveragePolicyFile | MedicalNecessityFile
    compiled: dict[str, Compiled]


def _compile(item: _Parsed, model: CoveragePolicyFile | MedicalNecessityFile) -> LoadedRules:
    compiled: dict[str, Compiled] = {}
    for index, criterion in enumerate(model.criteria):
        if criterion.id in compiled:
            raise _error_at(
                item, ("criteria", index, "id"), f"criterion id {criterion.id!r} is used twice"
            )
        try:
            compiled[criterion.id] = compile_criterion(criterion.expr)
        except ExpressionError as exc:
            value = _node_for(item.node, ("criteria", index, "expr"), value=True)
            line, column = _expression_position(value, exc.line, exc.column)
            raise RuleFileError(
                item.display,
                line,
                f"criteria.{index}.expr: CEL error at column {exc.column} of the expression: "
                f"{exc.message}",
                column,
            ) from None
    return LoadedRules(display=item.display, model=model, compiled=compiled)


def _expression_position(value: Node, line: int, column: int) -> tuple[int, int]:
    """Where CEL's (line, column) inside an expression is in the file. Exact for one-line and
    literal (|) scalars; a folded or wrapped scalar loses its layout, so CEL's own column is kept."""
    mark = value.start_mark
    style = value.style if isinstance(value, ScalarNode) else None
    if style == "|":
        source_lines = mark.buffer.splitlines() if mark and mark.buffer else []
        file_line = mark.line + 1 + line  # content starts on the line after the indicator
        text = source_lines[file_line - 1] if file_line - 1 < len(source_lines) else ""
        indent = len(text) - len(text.lstrip(" "))
        block_indent = min(
            (
                len(t) - len(t.lstrip(" "))
                for t in source_lines[mark.line + 1 : file_line]
                if t.strip()
            ),
            default=indent,
        )
        return file_line, block_indent + column
    start_line = mark.line + 1
    end_line = value.end_mark.line + 1 if value.end_mark else start_line
    if line == 1 and start_line == end_line:
        quote = 1 if style in ("'", '"') else 0
        return start_line, mark.column + quote + column
    return start_line + line - 1, column


def _check_versions(files: list[tuple[_Parsed, CoveragePolicyFile | MedicalNecessityFile]]) -> None:
    """Versions of one rule id must not overlap in time, so one version applies to any date."""
    seen: dict[tuple[str, str], list[tuple[_Parsed, RuleFileHeader]]] = {}
    for item, model in files:
        for other, earlier in seen.get((model.kind, model.id), []):
            if model.effective <= (earlier.expires or date.max) and earlier.effective <= (
                model.expires or date.max
            ):
                raise _error_at(
                    item,
                    ("effective",),
                    f"effective-date range overlaps {other.display} (same {model.kind} id "
                    f"{model.id!r}); give the earlier version an 'expires' date",
                )
        seen.setdefault((model.kind, model.id), []).append((item, model))


def installed_adapters() -> dict[str, type[BaseModel]]:
    """Adapter plug-ins by name with the settings model each declares (none: no settings)."""
    found: dict[str, type[BaseModel]] = {}
    # The service's own adapters first: as in the registry, a plug-in cannot take a built-in's name.
    entries = sorted(
        entry_points(group=ADAPTER_GROUP), key=lambda e: e.module.split(".")[0] != "coverage"
    )
    for entry in entries:
        if entry.name in found:
            continue
        try:
            adapter = entry.load()
        except (
            Exception
        ):  # a broken plug-in is reported by the adapter registry; here it is unknown
            continue
        found[entry.name] = getattr(adapter, "settings_model", _NoSettings)
    return found


class _NoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_adapter(item: _Parsed, payer: PayerConfig, known: Mapping[str, type[BaseModel]]) -> None:
    if payer.adapter not in known:
        raise _error_at(
            item,
            ("adapter",),
            f"adapter: unknown adapter {payer.adapter!r}; installed: {', '.join(sorted(known))}",
        )
    try:
        known[payer.adapter].model_validate(payer.settings)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ("settings", *error["loc"])
        raise _error_at(
            item,
            location,
            f"{'.'.join(str(p) for p in location)}: {error['msg']} "
            f"(settings of adapter {payer.adapter!r})",
        ) from None


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
        rules: list["LoadedRules"] | None = None,
        payer_files: dict[str, str] | None = None,
        part_b_files: tuple[tuple[str, MedicarePartBFile], ...] = (),
        file_dates: dict[Path, RuleFileDates] | None = None,
    ) -> None:
        self.payers = payers
        self.payer_files = payer_files or {}  # payer id -> file (as displayed)
        # coverage_policy and medical_necessity files with their criteria compiled.
        self.rules: list[LoadedRules] = rules or []
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
        # path relative to the rules dir -> effective window and status
        self.file_dates = file_dates or {}
        # kind -> [(path relative to the rules dir, parsed mapping)] for kinds loaded elsewhere.
        self.other_files = other_files
        self._part_b_files = part_b_files

    @classmethod
    def load(
        cls, rules_dir: Path, *, adapters: Mapping[str, type[BaseModel]] | None = None
    ) -> "RuleBook":
        """`adapters`: adapter name -> its settings model; by default the installed plug-ins."""
        if not rules_dir.is_dir():
            raise RuleFileError(
                f"{rules_dir}/",
                None,
                "no such directory (set IOP_COVERAGE_RULES_DIR to the rule book)",
            )
        parsed = [
            _parse(path, rules_dir)
            for path in sorted(rules_dir.rglob("*"))
            if path.suffix in (".yaml", ".yml") and path.is_file()
        ]
        guideline_files: list[tuple[str, PovertyGuidelinesFile]] = []
        policy_files: list[tuple[str, SlidingScalePolicyFile]] = []
        fee_schedule_files: list[tuple[str, FeeScheduleFile]] = []
        rules: list[LoadedRules] = []
        part_b_files: list[tuple[str, MedicarePartBFile]] = []
        other_files: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
        for item in parsed:
            model_cls = KINDS.get(item.ref.kind)
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
            elif isinstance(model, CoveragePolicyFile | MedicalNecessityFile):
                rules.append(_compile(item, model))
            elif isinstance(model, MedicarePartBFile):
                part_b_files.append((item.display, model))

        by_display = {item.display: item for item in parsed}
        years: dict[int, str] = {}
        for display, guideline in guideline_files:
            if guideline.year in years:
                raise _error_at(
                    by_display[display],
                    ("year",),
                    f"year {guideline.year} also in {years[guideline.year]}",
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
                raise _error_at(
                    by_display[policy_display], ("classes",), f"{exc} (self-pay rate of {display})"
                ) from None
        _check_versions(
            [(by_display[r.display], r.model) for r in rules],
        )

        known_adapters = installed_adapters() if adapters is None else adapters
        payers: dict[str, PayerConfig] = {}
        payer_files: dict[str, str] = {}
        for relative, data in other_files.pop("payer", []):
            item = next(i for i in parsed if i.relative == relative)
            try:
                payer = PayerConfig.model_validate(data)
            except ValidationError as exc:
                raise _validation_error(item, exc) from None
            if payer.id in payers:
                raise _error_at(item, ("id",), f"payer id {payer.id!r} is used twice")
            _check_adapter(item, payer, known_adapters)
            payers[payer.id] = payer
            payer_files[payer.id] = item.display

        return cls(
            payers=payers,
            guideline_files=guideline_files,
            policy_file=policy_files[0],
            fee_schedule_files=fee_schedule_files,
            files=[item.ref for item in parsed],
            other_files=other_files,
            rules=rules,
            payer_files=payer_files,
            part_b_files=tuple(part_b_files),
            file_dates={item.relative: _dates(item.data) for item in parsed},
        )

    def rules_for(
        self, payer: PayerConfig | None, program: Program, on: date
    ) -> list["LoadedRules"]:
        """The coverage policies and medical-necessity files in force on `on` for this payer and
        program (self-pay: the files that name no payer, type or state)."""
        return [
            r
            for r in self.rules
            if r.model.in_force(on) and r.model.applies_to.matches(payer, program)
        ]

    def files_in_force(self, on: date, *, state: str) -> set[str]:
        """Fee schedules, the poverty-guideline year and the sliding-scale policy for a date."""
        displays = {d for d, _ in self._schedules(on)} | {self._policy_file[0]}
        try:
            year = pick_guideline(self.guidelines, state=state, on=on).year
        except ValueError:
            return displays
        return displays | {d for d, f in self._guideline_files if f.year == year}

    def ref(self, display: str) -> RuleFileRef:
        relative = display.split("/", 1)[1]
        return next(f for f in self.files if f.path.as_posix() == relative)

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
            raise RuleLookupError(
                f"{found} allowed amount for {payer_id} {network} on {on.isoformat()}"
            )
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
