"""`iop-coverage rules ...`: check, test, list and diff the rule book; explain a stored result."""

import uuid
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from coverage.adapters.base import settings_models
from coverage.core.views import JobDetail
from coverage.rules.book import RuleBook
from coverage.rules.errors import RuleBookError, RuleFileError, RuleWarning
from coverage.rules.loader import load_book
from coverage.settings import get_settings

rules_app = typer.Typer(help="The rule book in payer_rules/.", no_args_is_help=True)
DirArg = Annotated[
    Path | None, typer.Argument(help="Rules directory (default: IOP_COVERAGE_RULES_DIR)")
]
TodayOpt = Annotated[
    datetime | None,
    typer.Option(
        "--today",
        formats=["%Y-%m-%d"],
        help="Check as if today were this date (YYYY-MM-DD): which data runs out soon",
    ),
]


def _load(
    directory: Path | None, today: datetime | None = None, *, named: bool = False
) -> RuleBook:
    """The book, or every error on stderr and exit 1 (2 when there is no such directory).
    `named`: say which directory the errors are in (two directories may share a name)."""
    settings = get_settings()
    path = directory or settings.rules_dir
    if not path.is_dir():
        typer.echo(f"{path}: no such directory", err=True)
        raise typer.Exit(code=2)
    try:
        return load_book(
            path,
            adapters=settings_models(),
            today=today.date() if today else None,
            horizon_days=settings.rules_horizon_days,
        )
    except RuleBookError as exc:
        errors = list(exc.errors)
    except Exception as exc:  # never a traceback for what a rule file holds
        errors = [RuleFileError(f"{path}/", None, f"could not be loaded ({type(exc).__name__})")]
    if named:
        typer.echo(f"{path} does not load:", err=True)
    for error in errors:
        typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=1)


def _warnings(book: RuleBook, today: datetime | None) -> list[RuleWarning]:
    from coverage.core.rule_book_status import warnings_for

    return warnings_for(book, today.date() if today else date.today())


def _in_force_line(book: RuleBook | None) -> str | None:
    """How the checked directory stands against the version in force, when one is recorded."""
    from coverage.core.rule_book import stored_in_force

    found = stored_in_force()
    if found is None:
        return None
    stored, _ = found
    since = stored.in_force_since.date().isoformat() if stored.in_force_since else "?"
    line = f"in force: version {stored.version[:12]} since {since} ({len(stored.files)} files)"
    if book is None:
        return line + "; a directory that does not load never replaces it"
    if book.version == stored.version:
        return line + "; this directory is that version"
    return line + "; this directory differs from it (iop-coverage rules diff shows how)"


@rules_app.command("check")
def check(
    directory: DirArg = None,
    today: TodayOpt = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 on warnings too")] = False,
) -> None:
    """Validate every file and the whole book: every error at file:line:column with the fix,
    then what runs out soon. Exit 1 on errors (and, with --strict, on warnings)."""
    try:
        book = _load(directory, today)
    except typer.Exit as refused:
        if refused.exit_code == 1:
            line = _in_force_line(None)
            if line:
                typer.echo(line, err=True)
        raise
    warnings = _warnings(book, today)
    for warning in warnings:
        typer.echo(f"warning: {warning}")
    criteria = sum(len(r.compiled) for r in book.rules)
    typer.echo(
        f"ok: {len(book.files)} files, {len(book.payers)} payers, {criteria} criteria; "
        f"version {book.version[:12]}"
    )
    line = _in_force_line(book)
    if line:
        typer.echo(line)
    if strict and warnings:
        raise typer.Exit(code=1)


@rules_app.command("test")
def test(directory: DirArg = None) -> None:
    """Run every example case; exit 1 if any fails."""
    from coverage.rules.examples import run_examples

    results = run_examples(_load(directory))
    for case in results:
        typer.echo(f"{'PASS' if case.passed else 'FAIL'} {case.file}: {case.name}")
        for failure in case.failures:
            typer.echo(f"     {failure}")
    failed = sum(not c.passed for c in results)
    typer.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(code=1)


@rules_app.command("list")
def list_(directory: DirArg = None, today: TodayOpt = None) -> None:
    """Payers, plans and policies with their effective dates; what runs out soon first."""
    book = _load(directory, today)
    warnings = _warnings(book, today)
    if warnings:
        typer.echo("Warnings:")
        for warning in warnings:
            typer.echo(f"  {warning}")
    typer.echo("Payers:")
    for payer in sorted(book.payers.values(), key=lambda p: p.id):
        typer.echo(
            f"  {payer.id:28} {payer.type.value:19} {payer.state or '--':3} "
            f"{payer.network_status.value:15} adapter={payer.adapter}  {payer.name}"
        )
    typer.echo("Coverage policies and medical-necessity criteria:")
    for rules in sorted(book.rules, key=lambda r: (r.model.kind, r.model.id, r.model.effective)):
        m = rules.model
        until = m.expires.isoformat() if m.expires else "open"
        typer.echo(
            f"  {m.kind:17} {m.id:26} {m.effective}..{until:10} v{m.version} {m.status:8} "
            f"{rules.display}"
        )
    typer.echo("Fee schedules:")
    for display, schedule in book.fee_schedule_files:
        until = schedule.expires.isoformat() if schedule.expires else "open"
        typer.echo(
            f"  {schedule.service.code} {schedule.effective}..{until} v{schedule.version} "
            f"payers: {', '.join(schedule.payers)}  {display}"
        )
    years = sorted({g.year for g in book.guidelines})
    typer.echo(f"Poverty guidelines: {', '.join(map(str, years))}")
    part_b = sorted({y for _, f in book.part_b_files for y in f.years})
    if part_b:
        typer.echo(f"Medicare Part B years: {', '.join(map(str, part_b))}")


@rules_app.command("diff")
def diff_(
    candidate: DirArg = None,
    against: Annotated[
        Path | None,
        typer.Option(help="Compare with this directory instead of the version in force"),
    ] = None,
) -> None:
    """What a candidate directory changes against the version in force (payers, allowed
    amounts, self-pay rates, criteria, policy limits), before it takes effect."""
    from coverage.core.rule_book import stored_in_force
    from coverage.rules.diff import diff

    new = _load(candidate, named=True)
    if against is not None:
        old, label = _load(against, named=True), str(against)
    else:
        found = stored_in_force()
        if found is None or found[1] is None:
            typer.echo(
                "no version in force is recorded in the database (IOP_COVERAGE_DATABASE_URL); "
                "compare two directories with --against DIR",
                err=True,
            )
            raise typer.Exit(code=2)
        stored, book = found
        assert book is not None
        old, label = book, f"the version in force ({stored.version[:12]})"
    changes = diff(old, new)
    if not changes:
        typer.echo(f"no changes against {label}")
        return
    typer.echo(f"{len(changes)} change(s) against {label}:")
    by_area: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        by_area[change.area].append(str(change).removeprefix(f"{change.area} "))
    for area, lines in by_area.items():
        typer.echo(f"{area}:")
        for line in lines:
            typer.echo(f"  {line}")


@rules_app.command("explain")
def explain(job_id: uuid.UUID) -> None:
    """Print the rule files and each criterion behind a stored result (the read is audited)."""
    import getpass

    from coverage.core import reads
    from coverage.domain.access import Actor, Role
    from coverage.errors import NotFoundError

    actor = Actor(name=f"cli:{getpass.getuser()}"[:80], role=Role.BILLING)
    try:
        detail = reads.detail_of(job_id, actor=actor)
    except NotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(render_explanation(detail))


def render_explanation(detail: JobDetail) -> str:
    lines = [f"Verification {detail.id}: {detail.status} - {detail.message}"]
    if detail.rule_book_version:
        lines.append(f"Rule book version: {detail.rule_book_version}")
    lines.append("Rule files:")
    lines += [f"  {f.path}  v{f.version}  sha256 {f.sha256}" for f in detail.rule_files]
    if detail.result is None:
        lines.append("No rule-book assessment stored for this job.")
        return "\n".join(lines)
    assessment = detail.result.assessment
    for cov in assessment.coverage:
        lines.append(f"Coverage ({cov.payer_id}): {cov.status} - {' '.join(cov.why)}")
    necessity = assessment.medical_necessity
    lines.append(f"Medical necessity: {necessity.status}")
    for check in assessment.coverage_criteria + necessity.criteria:
        inputs = ", ".join(f"{k}={v!r}" for k, v in check.inputs.items())
        draft = " [draft]" if check.status == "draft" else ""
        lines.append(f"  [{check.outcome}] {check.rule}{draft}: {check.reason}")
        lines.append(f"      inputs: {inputs or '-'}  ({check.file})")
        if check.error:
            lines.append(f"      rule engine: {check.error}")
    if assessment.requirements:
        lines.append("Requirements:")
        lines += [
            f"  {r.due.isoformat() if r.due else '':10} {r.code}: {r.text}"
            for r in assessment.requirements
        ]
    for limit in assessment.limits:
        lines.append(
            f"Limit: {limit.text}" + (f" {limit.parity_note}" if limit.parity_note else "")
        )
    for rules in assessment.pricing_rules:
        facts = {
            k: v
            for k, v in rules.model_dump(mode="json").items()
            if k not in ("payer_id", "rule", "status") and v not in (None, False)
        }
        shown = ", ".join(f"{k}={v}" for k, v in facts.items()) or "-"
        lines.append(f"Cost-sharing rules ({rules.payer_id}, {rules.rule}): {shown}")
    if assessment.referral:
        ref = assessment.referral
        lines.append(f"Referral: consider {ref.to} - {' '.join(ref.why)}")
    if detail.result.drafts_used:
        lines.append("Draft rule data used:")
        lines += [f"  {d}" for d in detail.result.drafts_used]
    return "\n".join(lines)
