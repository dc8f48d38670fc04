"""Load payer_rules/*.yaml into a RuleBook, refusing anything that could be misread.

Every problem is a RuleFileError naming the file and line ("payer_rules/x.yaml:12:3: message"),
and all of them are reported at once in a RuleBookError: an operator fixes the data without
reading Python, and never one error at a time. The same code loads a directory and a stored
snapshot of one (`load_source`), so both give the same book.
"""

import difflib
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode

from coverage.domain.payer import PayerConfig
from coverage.domain.sliding_scale import check_nominal_charges
from coverage.rules.book import LoadedRules, RuleBook, RuleFileDates
from coverage.rules.consistency import book_errors, book_notices
from coverage.rules.errors import RuleBookError, RuleFileError
from coverage.rules.expressions import Compiled, ExpressionError, compile_criterion
from coverage.rules.files import RuleSource, read_directory
from coverage.rules.parsing import ParsedFile, error_at, node_at, parse
from coverage.rules.policy_schema import CoveragePolicyFile, MedicalNecessityFile
from coverage.rules.schema import (
    KNOWN_KINDS,
    FeeScheduleFile,
    MedicarePartBFile,
    PovertyGuidelinesFile,
    RuleFileHeader,
    SlidingScalePolicyFile,
)

KINDS: dict[str, type[BaseModel]] = {
    **KNOWN_KINDS,
    "coverage_policy": CoveragePolicyFile,
    "medical_necessity": MedicalNecessityFile,
    "payer": PayerConfig,
}


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


def _field_names(model: type[BaseModel]) -> set[str]:
    """Every key a file of this model may hold, at any depth (for "did you mean")."""
    names: set[str] = set()
    pending: list[Any] = [model]
    seen: set[Any] = set()
    while pending:
        annotation = pending.pop()
        if annotation in seen:
            continue
        seen.add(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= set(annotation.model_fields)
            pending += [f.annotation for f in annotation.model_fields.values()]
        pending += list(get_args(annotation))
    return names


# A validator's message that names the key it is about: "Value error, expires: before effective".
_KEYED = re.compile(r"^Value error, ([a-z_]+): (.*)$", re.DOTALL)


def _keyed(item: ParsedFile, location: tuple[int | str, ...], message: str) -> tuple[Any, str]:
    """Moves a whole-section error to the key its message names, when that key is there."""
    named = _KEYED.match(message)
    if named is None:
        return location, message
    node = node_at(item.node, location, value=True) if location else item.node
    keys = {k.value for k, _ in node.value} if isinstance(node, MappingNode) else set()
    if named[1] not in keys:
        return location, message
    return (*location, named[1]), named[2]


def _validation_errors(
    item: ParsedFile, model: type[BaseModel], exc: ValidationError
) -> list[RuleFileError]:
    """Every schema error of one file. A misspelled required key shows twice in pydantic (an
    unknown key and a missing one): it is reported once, at the misspelling, with the key meant."""
    found = exc.errors(include_url=False)
    names = sorted(_field_names(model))
    explained: set[tuple[int | str, ...]] = set()
    located: list[tuple[dict[str, Any], RuleFileError]] = []
    for error in found:
        location, text = _keyed(item, tuple(error["loc"]), error["msg"])
        where = ".".join(str(part) for part in location)
        message = f"{where}: {text}" if where else text
        if error["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(location[-1]), names, n=1, cutoff=0.75)
            if close:
                message += f" (did you mean {close[0]!r}?)"
                explained.add((*location[:-1], close[0]))
        located.append((dict(error), error_at(item, location, message)))
    return [
        e
        for error, e in located
        if not (error["type"] == "missing" and tuple(error["loc"]) in explained)
    ]


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


def _compile(
    item: ParsedFile, model: CoveragePolicyFile | MedicalNecessityFile
) -> tuple[LoadedRules, list[RuleFileError]]:
    compiled: dict[str, Compiled] = {}
    errors: list[RuleFileError] = []
    for index, criterion in enumerate(model.criteria):
        if criterion.id in compiled:
            errors.append(
                error_at(
                    item, ("criteria", index, "id"), f"criterion id {criterion.id!r} is used twice"
                )
            )
            continue
        try:
            compiled[criterion.id] = compile_criterion(criterion.expr)
        except ExpressionError as exc:
            value = node_at(item.node, ("criteria", index, "expr"), value=True)
            line, column = _expression_position(value, exc.line, exc.column)
            errors.append(
                RuleFileError(
                    item.display,
                    line,
                    f"criteria.{index}.expr: CEL error at column {exc.column} of the expression: "
                    f"{exc.message}",
                    column,
                )
            )
    return LoadedRules(display=item.display, model=model, compiled=compiled), errors


# Adapter name -> its settings model (None: no settings). The caller passes the installed ones:
# which adapters exist is the adapters package's to say (rules import nothing of it).
Adapters = Mapping[str, type[BaseModel] | None]
_OWN_ENV = "IOP_COVERAGE_"


class _NoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _adapter_errors(item: ParsedFile, payer: PayerConfig, known: Adapters) -> list[RuleFileError]:
    secret_names = [
        key
        for key, value in payer.settings.items()
        if key.endswith("_env") and isinstance(value, str) and value.upper().startswith(_OWN_ENV)
    ]
    if secret_names:  # a payer file must not send the service's own secrets to a payer
        return [
            error_at(
                item,
                ("settings", key),
                f"settings.{key}: {_OWN_ENV}* variables hold the service's own keys and "
                "database address; name the variable that holds this payer's credential",
            )
            for key in secret_names
        ]
    if payer.adapter not in known:
        return [
            error_at(
                item,
                ("adapter",),
                f"adapter: unknown adapter {payer.adapter!r}; installed: {', '.join(sorted(known))}",
            )
        ]
    try:
        (known[payer.adapter] or _NoSettings).model_validate(payer.settings)
    except ValidationError as exc:
        return [
            error_at(
                item,
                ("settings", *error["loc"]),
                f"{'.'.join(str(p) for p in ('settings', *error['loc']))}: {error['msg']} "
                f"(settings of adapter {payer.adapter!r})",
            )
            for error in exc.errors(include_url=False)
        ]
    return []


def _sorted(errors: list[RuleFileError]) -> list[RuleFileError]:
    return sorted(errors, key=lambda e: (e.path, e.line or 0, e.column or 0))


class _Validated:
    """The files of one book, each validated on its own, sorted by kind."""

    def __init__(self, parsed: list[ParsedFile], adapters: Adapters) -> None:
        self.errors: list[RuleFileError] = []
        self.guidelines: list[tuple[str, PovertyGuidelinesFile]] = []
        self.policies: list[tuple[str, SlidingScalePolicyFile]] = []
        self.fee_schedules: list[tuple[str, FeeScheduleFile]] = []
        self.part_b: list[tuple[str, MedicarePartBFile]] = []
        self.rules: list[LoadedRules] = []
        self.payers: dict[str, PayerConfig] = {}
        self.payer_files: dict[str, str] = {}
        self.other_files: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
        # Kinds with a file that did not validate: the whole-book checks that need every file
        # of such a kind are left for the next round ("*": a file whose kind is not known).
        self.incomplete: set[str] = set()
        for item in parsed:
            try:
                self._add(item, adapters)
            except Exception as exc:  # a validator's own bug must not escape as a traceback
                self.errors.append(
                    RuleFileError(
                        item.display, None, f"could not be validated ({type(exc).__name__})"
                    )
                )
                self.incomplete.add(item.ref.kind)

    def _add(self, item: ParsedFile, adapters: Adapters) -> None:
        model_cls = KINDS.get(item.ref.kind)
        if model_cls is None:
            meant = difflib.get_close_matches(item.ref.kind, KINDS, n=1, cutoff=0.8)
            if meant:  # a misspelled kind would drop the whole file without a word
                self.errors.append(
                    error_at(
                        item,
                        ("kind",),
                        f"kind: unknown kind {item.ref.kind!r} (did you mean {meant[0]!r}?)",
                        value=True,
                    )
                )
                self.incomplete.add(meant[0])
                return
            self.other_files.setdefault(item.ref.kind, []).append((item.ref.path, item.data))
            return
        try:
            model = model_cls.model_validate(item.data)
        except ValidationError as exc:
            self.errors += _validation_errors(item, model_cls, exc)
            self.incomplete.add(item.ref.kind)
            return
        if isinstance(model, PayerConfig):
            if model.id in self.payers:
                self.errors.append(
                    error_at(
                        item,
                        ("id",),
                        f"payer id {model.id!r} is used twice (also in "
                        f"{self.payer_files[model.id]})",
                    )
                )
                return
            self.errors += _adapter_errors(item, model, adapters)
            self.payers[model.id] = model
            self.payer_files[model.id] = item.display
        elif isinstance(model, PovertyGuidelinesFile):
            self.guidelines.append((item.display, model))
        elif isinstance(model, SlidingScalePolicyFile):
            self.policies.append((item.display, model))
        elif isinstance(model, FeeScheduleFile):
            self.fee_schedules.append((item.display, model))
        elif isinstance(model, CoveragePolicyFile | MedicalNecessityFile):
            loaded, errors = _compile(item, model)
            if errors:  # a criterion that does not compile cannot be tried with the others
                self.errors += errors
                self.incomplete.add(model.kind)
            else:
                self.rules.append(loaded)
        elif isinstance(model, MedicarePartBFile):
            self.part_b.append((item.display, model))


def _file_set_errors(
    files: _Validated,
    by_display: Mapping[str, ParsedFile],
    root: str,
    incomplete: frozenset[str],
) -> list[RuleFileError]:
    """Checks across files of one kind: one guideline file per year, exactly one sliding-scale
    policy, nominal charges below each self-pay rate, no overlapping versions of one rule id."""
    errors: list[RuleFileError] = []
    years: dict[int, str] = {}
    for display, guideline in files.guidelines:
        if guideline.year in years:
            errors.append(
                error_at(
                    by_display[display],
                    ("year",),
                    f"year {guideline.year} also in {years[guideline.year]}",
                )
            )
        years[guideline.year] = display
    part_b_years: dict[int, str] = {}
    for display, part_b in files.part_b:
        for year in part_b.years:
            if year in part_b_years:
                errors.append(
                    error_at(
                        by_display[display],
                        ("years", year),
                        f"years.{year}: also in {part_b_years[year]}; keep one",
                    )
                )
            part_b_years.setdefault(year, display)
    if len(files.policies) != 1:
        # None at all may only mean the policy file itself did not validate.
        if files.policies or not incomplete & {"sliding_scale_policy", "*"}:
            where = files.policies[1][0] if files.policies else f"{root}/"
            errors.append(
                RuleFileError(where, None, "exactly one sliding_scale_policy file is required")
            )
        return errors
    policy_display, policy = files.policies[0]
    for display, schedule in files.fee_schedules:
        if schedule.self_pay_per_day is None:
            continue
        try:
            check_nominal_charges(policy, full_per_day=schedule.self_pay_per_day)
        except ValueError as exc:
            errors.append(
                error_at(
                    by_display[policy_display],
                    ("classes",),
                    f"{exc} (self-pay rate of {display})",
                )
            )
    seen: dict[tuple[str, str], list[tuple[str, RuleFileHeader]]] = {}
    for loaded in files.rules:
        model = loaded.model
        for other, earlier in seen.get((model.kind, model.id), []):
            if earlier.effective <= (model.expires or date.max) and (
                model.effective <= (earlier.expires or date.max)
            ):
                errors.append(
                    error_at(
                        by_display[loaded.display],
                        ("effective",),
                        f"effective-date range overlaps {other} (same {model.kind} id "
                        f"{model.id!r}); give the earlier version an 'expires' date",
                    )
                )
        seen.setdefault((model.kind, model.id), []).append((loaded.display, model))
    return errors


def load_source(
    source: RuleSource,
    *,
    adapters: Adapters,
    read_errors: list[RuleFileError] | None = None,
    today: date | None = None,
    horizon_days: int = 400,
) -> RuleBook:
    """The rule book in `source`, or RuleBookError with every problem found.

    `adapters`: each installed adapter's name and settings model (None: it takes no settings),
    from coverage.adapters.base.settings_models(). `today`
    (by default the date): the book must price an episode starting then."""
    errors = list(read_errors or [])
    parsed: list[ParsedFile] = []
    for relative in sorted(source.files):
        result = parse(source.display(relative), relative, source.files[relative])
        if isinstance(result, list):
            errors += result
        else:
            parsed.append(result)
    files = _Validated(parsed, adapters)
    # A file that could not be read or parsed could be of any kind.
    incomplete = frozenset(files.incomplete | ({"*"} if errors else set()))
    errors += files.errors
    by_display = {item.display: item for item in parsed}
    errors += _file_set_errors(files, by_display, source.root, incomplete)
    book = None
    if len(files.policies) == 1:
        book = RuleBook(
            source=source,
            payers=files.payers,
            payer_files=files.payer_files,
            guideline_files=files.guidelines,
            policy_file=files.policies[0],
            fee_schedule_files=files.fee_schedules,
            part_b_files=files.part_b,
            rules=files.rules,
            files=[item.ref for item in parsed],
            nodes={item.display: item.node for item in parsed},
            file_dates={item.ref.path: _dates(item.data) for item in parsed},
            other_files=files.other_files,
        )
        # The files that validated are checked as a whole too, so an operator sees every
        # problem at once; a check that needs a kind with a broken file waits for its fix.
        errors += book_errors(
            book,
            by_display,
            today=today or date.today(),
            horizon_days=horizon_days,
            incomplete=incomplete,
        )
    if errors or book is None:
        raise RuleBookError(_sorted(errors))
    book.notices = book_notices(book, by_display)
    return book


def load_book(
    rules_dir: Path,
    *,
    adapters: Adapters,
    today: date | None = None,
    horizon_days: int = 400,
) -> RuleBook:
    """The rule book in a directory (see files.read_directory for what is read and refused)."""
    source, read_errors = read_directory(rules_dir)
    return load_source(
        source,
        adapters=adapters,
        read_errors=read_errors,
        today=today,
        horizon_days=horizon_days,
    )
