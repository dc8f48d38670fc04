"""`iop-coverage rules ...`: check, test and list the rule book; explain a stored result."""

import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from coverage.rules.loader import RuleBook, RuleFileError
from coverage.settings import get_settings

rules_app = typer.Typer(help="The rule book in payer_rules/.", no_args_is_help=True)
DirArg = Annotated[
    Path | None, typer.Argument(help="Rules directory (default: IOP_COVERAGE_RULES_DIR)")
]


def _load(directory: Path | None) -> RuleBook:
    path = directory or get_settings().rules_dir
    if not path.is_dir():
        typer.echo(f"{path}: no such directory", err=True)
        raise typer.Exit(code=2)
    try:
        return RuleBook.load(path)
    except RuleFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


@rules_app.command("check")
def check(directory: DirArg = None) -> None:
    """Validate every file; print file:line:column and what was expected on the first error."""
    book = _load(directory)
    criteria = sum(len(r.compiled) for r in book.rules)
    typer.echo(f"ok: {len(book.files)} files, {len(book.payers)} payers, {criteria} criteria")


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
def list_(directory: DirArg = None) -> None:
    """Payers, plans and policies with their effective dates."""
    book = _load(directory)
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
    for schedule in book.fee_schedules:
        until = schedule.expires.isoformat() if schedule.expires else "open"
        typer.echo(
            f"  {schedule.service.code} {schedule.effective}..{until} v{schedule.version} "
            f"payers: {', '.join(schedule.payers)}"
        )
    years = sorted({g.year for g in book.guidelines})
    typer.echo(f"Poverty guidelines: {', '.join(map(str, years))}")


@rules_app.command("explain")
def explain(job_id: uuid.UUID) -> None:
    """Print the rule files and each criterion behind a stored result (the read is audited)."""
    import getpass

    from coverage.api.reads import job_detail
    from coverage.domain.access import Actor, Role
    from coverage.errors import NotFoundError
    from coverage.store.db import session_scope

    actor = Actor(name=f"cli:{getpass.getuser()}"[:80], role=Role.BILLING)
    try:
        with session_scope() as session:
            detail = job_detail(session, job_id=job_id, actor=actor).model_dump(mode="json")
    except NotFoundError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(render_explanation(detail))


def render_explanation(detail: dict[str, Any]) -> str:
    lines = [f"Verification {detail['id']}: {detail['status']} - {detail['message']}"]
    lines.append("Rule files:")
    lines += [f"  {f['path']}  v{f['version']}  sha256 {f['sha256']}" for f in detail["rule_files"]]
    result = detail.get("result") or {}
    assessment = result.get("assessment")
    if not assessment:
        lines.append("No rule-book assessment stored for this job.")
        return "\n".join(lines)
    for cov in assessment["coverage"]:
        lines.append(f"Coverage ({cov['payer_id']}): {cov['status']} - {' '.join(cov['why'])}")
    necessity = assessment["medical_necessity"]
    lines.append(f"Medical necessity: {necessity['status']}")
    for check in assessment["checks"] + necessity["criteria"]:
        inputs = ", ".join(f"{k}={v!r}" for k, v in check["inputs"].items())
        draft = " [draft]" if check["status"] == "draft" else ""
        lines.append(f"  [{check['outcome']}] {check['rule']}{draft}: {check['reason']}")
        lines.append(f"      inputs: {inputs or '-'}  ({check['file']})")
    if assessment["requirements"]:
        lines.append("Requirements:")
        lines += [
            f"  {r['due'] or '':10} {r['code']}: {r['text']}" for r in assessment["requirements"]
        ]
    for limit in assessment["limits"]:
        lines.append(
            f"Limit: {limit['text']}" + (f" {limit['parity_note']}" if limit["parity_note"] else "")
        )
    for rules in assessment["cost_sharing"]:
        facts = {
            k: v
            for k, v in rules.items()
            if k not in ("payer_id", "rule", "status") and v not in (None, False)
        }
        shown = ", ".join(f"{k}={v}" for k, v in facts.items()) or "-"
        lines.append(f"Cost-sharing rules ({rules['payer_id']}, {rules['rule']}): {shown}")
    if assessment["referral"]:
        ref = assessment["referral"]
        lines.append(f"Referral: consider {ref['to']} - {' '.join(ref['why'])}")
    if result.get("drafts_used"):
        lines.append("Draft rule data used:")
        lines += [f"  {d}" for d in result["drafts_used"]]
    return "\n".join(lines)
