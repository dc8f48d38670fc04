"""`iop-coverage x12 read FILE`: how a saved payer answer (X12 271, clearinghouse JSON or FHIR
CoverageEligibilityResponse) is read, with every assumption, without queuing a job. It prints
what the operator's own file holds and logs nothing."""

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from coverage.adapters.saved_answer import (
    FORMAT_NAMES,
    AnswerFormat,
    SavedAnswer,
    UnreadableAnswer,
    read_saved_answer,
)
from coverage.domain.eligibility import (
    TERM_LABELS,
    Benefit,
    CostSharing,
    CostTerm,
    EligibilityResponse,
    Network,
    OtherPayerRole,
    RelatedEntity,
    term_text,
)
from coverage.domain.money import usd
from coverage.domain.request import BehavioralBenefit, Program

app = typer.Typer(help="Read saved payer answers (X12 271, clearinghouse JSON, FHIR).")
NETWORK_NAMES = {Network.IN: "in network", Network.OUT: "out of network"}


@app.callback()
def _group() -> None:
    """Read saved payer answers."""


@app.command()
def read(
    file: Annotated[Path, typer.Argument(help="A saved 271, clearinghouse JSON or FHIR answer")],
    day: Annotated[
        datetime | None,
        typer.Option(
            "--date", formats=["%Y-%m-%d"], help="Service date (YYYY-MM-DD); default today"
        ),
    ] = None,
    program: Annotated[
        Program, typer.Option("--program", help="The IOP program the benefit is chosen for")
    ] = Program.MENTAL_HEALTH,
    as_json: Annotated[bool, typer.Option("--json", help="The normalized answer as JSON")] = False,
) -> None:
    """Print the normalized answer and every assumption for a saved payer answer."""
    service_date = day.date() if day else date.today()
    text = _text(file)
    try:
        saved = read_saved_answer(text, service_date=service_date, program=program)
    except UnreadableAnswer as exc:
        _fail(file, str(exc))
    except Exception as exc:  # never a traceback for what a file holds
        _fail(file, f"could not be read ({type(exc).__name__})")
    if as_json:
        typer.echo(json.dumps(_json(file, saved, service_date, program), indent=2))
    else:
        typer.echo("\n".join(_lines(file, saved, service_date, program)))


def _fail(file: Path, reason: str) -> None:
    typer.echo(f"{file}: {reason}", err=True)
    raise typer.Exit(code=2)


def _text(file: Path) -> str:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        _fail(file, "no such file")
    except IsADirectoryError:
        _fail(file, "is a directory, not a file")
    except OSError as exc:
        _fail(file, f"cannot be read ({exc.strerror or type(exc).__name__})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # X12 basic and extended character sets


def _json(file: Path, saved: SavedAnswer, service_date: date, program: Program) -> dict[str, Any]:
    return {
        "file": str(file),
        "format": saved.format.value,
        "service_date": service_date.isoformat(),
        "program": program.value,
        "members": [
            {
                "role": m.role,
                "name": m.name or None,
                "member_id": m.member_id or None,
                "birth_date": m.birth_date.isoformat() if m.birth_date else None,
            }
            for m in saved.members
        ],
        "warnings": list(saved.warnings),
        "stops_verification": saved.stops_verification,
        "answer": saved.response.model_dump(mode="json", exclude={"raw_payload"}),
    }


def _percent(fraction: Decimal) -> str:
    return f"{(fraction * 100).normalize():f}%"


def _or_none(amount: Decimal | None, none: str) -> str:
    return none if amount is None else usd(amount)


def _said(cs: CostSharing, term: CostTerm, text: str) -> str:
    """A term's amount, or "not stated" where the payer gave none (the default is not its word)."""
    return text if cs.stated(term) else "not stated"


def _cost_sharing(cs: CostSharing) -> list[str]:
    copay = _said(cs, "copay", usd(cs.copay_per_day))
    if cs.copay_per_day:
        if not cs.copay_applies_after_deductible:
            copay += " (from day one)"
        elif cs.copay_deductible_stated:
            copay += " (after the deductible)"
        else:  # the payer did not say: the estimate's assumption, named as one
            copay += " (after the deductible: not stated, assumed)"
    return [
        f"  deductible remaining: {_said(cs, 'deductible', usd(cs.deductible_remaining))}"
        + (
            f" (family {usd(cs.family_deductible_remaining)})"
            if cs.family_deductible_remaining is not None
            else ""
        ),
        f"  coinsurance: {_said(cs, 'coinsurance', _percent(cs.coinsurance))}",
        f"  copay per day: {copay}",
        f"  out-of-pocket remaining: {_or_none(cs.oop_remaining, 'no maximum stated')}"
        + (
            f" (family {usd(cs.family_oop_remaining)})"
            if cs.family_oop_remaining is not None
            else ""
        ),
        "  day limit remaining: "
        + ("none stated" if cs.day_limit_remaining is None else str(cs.day_limit_remaining)),
        *(
            [f"  visits per week: at most {cs.visits_per_week}; days over it not covered"]
            if cs.visits_per_week is not None
            else []
        ),
        f"  prior authorization: {cs.prior_auth_text()}",
    ]


def _benefit_sets(sets: tuple[CostSharing, ...], which: str) -> list[str]:
    lines = []
    for network in Network:
        cs = next((c for c in sets if c.network is network), None)
        if cs is None:
            lines.append(f"IOP benefit{which} {NETWORK_NAMES[network]}: none stated")
        else:
            lines += [f"IOP benefit{which} {NETWORK_NAMES[network]}:", *_cost_sharing(cs)]
    return lines


def _answer(r: EligibilityResponse, *, x12: bool) -> list[str]:
    plan = r.plan_name or "not named"
    begin = r.plan_begin.isoformat() if r.plan_begin else "not stated"
    end = r.plan_end.isoformat() if r.plan_end else "not stated"
    lines = [
        f"coverage: {_coverage(r)}",
        f"plan: {plan} ({r.insurance_type.value})",
        f"plan dates: {begin} to {end}",
    ]
    if r.group_number:  # PHI-light: printed for the operator, never logged
        lines.append(f"group number: {r.group_number}")
    if r.plan_number:
        lines.append(f"plan number: {r.plan_number}")
    if r.medicare_qmb:
        lines.append("Qualified Medicare Beneficiary: yes (owes no Medicare cost sharing)")
    lines.append(_lines_read(r, x12))
    if r.split is None:
        lines += _benefit_sets(r.cost_sharing, "")
    else:
        for benefit in BehavioralBenefit:
            lines.append(f"{benefit.label} benefit: {r.split.said(benefit)}")
            lines += _benefit_sets(r.split.of(benefit), f" ({benefit.label})")
        lines.append(
            "which benefit prices: the one the claim is billed under (the program, or the "
            "intake's primary condition); with none named, the one that costs the patient more "
            "for the planned episode, which this reading has not: a verification with its "
            "planned days shows which one prices"
        )
    for cs in r.next_year_cost_sharing:
        lines.append(f"next plan year {NETWORK_NAMES[cs.network]} (phone call):")
        lines += [
            f"  {TERM_LABELS[o.term].lower()}: {term_text(o.term, cs.value(o.term))}"
            for o in cs.origins
        ]
    if r.other_payers:
        lines.append("other payers:")
        for p in r.other_payers:
            phone = r.administrator_phone(p.name) if p.role is OtherPayerRole.CARVE_OUT else None
            named = ", ".join(
                x
                for x in (
                    p.name,
                    f"payer ID {p.payer_id}" if p.payer_id else None,
                    f"member ID {p.member_id}" if p.member_id else None,
                    f"phone {phone}" if phone else None,
                )
                if x
            )
            lines.append(f"  {p.role.value}: {named or 'not named'}")
    if r.related_entities:
        lines.append("related entities:")
        lines += [f"  {_entity(e)}" for e in r.related_entities]
    dated = [b for b in r.benefits if b.periods or b.limits]
    if dated:
        lines.append("benefit periods and limits:")
        lines += [f"  {_periods(b)}" for b in dated]
    if r.disclaimers:
        lines += ["disclaimers:", *(f"  {d}" for d in r.disclaimers)]
    if r.messages:
        lines += ["messages:", *(f"  {m}" for m in r.messages)]
    if r.issues:
        lines.append("payer issues:")
        for i in r.issues:
            where = f" in loop {i.loop}" if i.loop else ""
            kind = "retryable" if i.retryable else "final"
            lines += [f"  AAA {i.code}{where} ({kind}): {i.hint}"]
    return lines


def _coverage(r: EligibilityResponse) -> str:
    if r.active:
        return "active"
    if r.issues and not r.benefits:  # a rejection (AAA) says nothing about coverage
        return "not known (the payer did not answer about coverage: see payer issues)"
    return "NOT active"


def _lines_read(r: EligibilityResponse, x12: bool) -> str:
    """The count, and what the numbers the assumptions cite the lines by ("EB #15") are."""
    numbers = sorted({b.segment_number for b in r.benefits if b.segment_number is not None})
    read = f"benefit lines read: {len(r.benefits)}"
    if not numbers:
        return read
    if len(numbers) == 1:
        what = "its segment number in the file" if x12 else "its place among the answer's benefits"
        return f"{read} (EB #{numbers[0]}: {what}, as cited below)"
    what = (
        "their segment numbers in the file" if x12 else "their places among the answer's benefits"
    )
    return f"{read} (EB #{numbers[0]} to EB #{numbers[-1]}: {what}, as cited below)"


def _entity(e: RelatedEntity) -> str:
    who = f"{e.role} ({e.entity_code}): {e.name or 'not named'}"
    if e.id:
        who += f", ID {e.id}"
    if e.service_types:
        who += f", for {'/'.join(e.service_types)}"
    for c in e.contacts:
        who += f"; {c.kind.value} {c.value}" + (f" ext. {c.extension}" if c.extension else "")
    return who


def _periods(b: Benefit) -> str:
    what = f"{b.kind.value} {'/'.join(b.service_types) or 'all services'}"
    if b.network is not None:
        what += f" {b.network.value}"
    parts = [
        f"{p.kind.value} {p.start.isoformat()}"
        + (f" to {p.end.isoformat()}" if p.end != p.start else "")
        for p in b.periods
    ]
    parts += [f"limit {limit.text}" for limit in b.limits]
    return f"{what}: {'; '.join(parts)}"


def _lines(file: Path, saved: SavedAnswer, service_date: date, program: Program) -> list[str]:
    sets = saved.transaction_sets
    lines = [
        f"{file}: {FORMAT_NAMES[saved.format]}"
        + (f" ({sets} transaction sets)" if sets != 1 else ""),
        f"service date: {service_date.isoformat()}, program: {program.value}",
    ]
    for m in saved.members:
        who = m.name or "not named"
        if m.member_id:
            who += f", member ID {m.member_id}"
        if m.birth_date:
            who += f", born {m.birth_date.isoformat()}"
        lines.append(f"{m.role}: {who}")
    lines += _answer(saved.response, x12=saved.format is AnswerFormat.X12)
    if (stop := saved.stops_verification) is not None:
        lines.append(f"a verification stops here: {stop}")
    if saved.warnings:
        lines += ["reader warnings:", *(f"  {w}" for w in saved.warnings)]
    if saved.response.assumptions:
        lines.append("assumptions:")
        lines += [f"  {n}. {a}" for n, a in enumerate(saved.response.assumptions, 1)]
    else:
        lines.append("assumptions: none")
    return lines
