"""A phone call recorded for a payer that also answers electronically, combined with that answer.

The call fills what the electronic answer left out; where both state a term and differ, the call
wins (it is the newer and more specific answer) and an assumption names both values. Each term
keeps its origin (coverage.domain.eligibility.TermOrigin), so staff see where it came from.
"""

from coverage.adapters.manual import normalize
from coverage.domain.eligibility import (
    TERM_FIELDS,
    TERM_LABELS,
    CostSharing,
    EligibilityRequest,
    EligibilityResponse,
    Network,
    TermOrigin,
    day_text,
    term_text,
)
from coverage.domain.phone import PhoneAnswer
from coverage.domain.request import BehavioralBenefit
from coverage.x12 import codes
from coverage.x12.iop_benefit import IopContext


def _combined(
    electronic: CostSharing, phone: CostSharing, call: str, notes: list[str]
) -> CostSharing:
    network = "In-network" if electronic.network is Network.IN else "Out-of-network"
    update: dict[str, object] = {}
    origins: list[TermOrigin] = []
    for term, field in TERM_FIELDS.items():
        said = phone.origin(term)
        if said is None:
            if electronic.stated(term):
                origins.append(
                    electronic.origin(term) or TermOrigin(term=term, source="electronic")
                )
            continue
        origins.append(said)
        update[field] = phone.value(term)
        if term == "copay":
            update["copay_applies_after_deductible"] = phone.copay_applies_after_deductible
            update["copay_deductible_stated"] = phone.copay_deductible_stated
        label = f"{network} {TERM_LABELS[term].lower()}"
        value = term_text(term, phone.value(term))
        if not electronic.stated(term):
            notes.append(f"{label} {value} {call}; the electronic answer did not state it")
        elif electronic.value(term) != phone.value(term):
            was = term_text(term, electronic.value(term))
            notes.append(f"{label} {value} {call}; the electronic answer said {was}")
    update["prior_auth_required"] = electronic.prior_auth_required or phone.prior_auth_required
    update["prior_auth_stated"] = electronic.prior_auth_stated or phone.prior_auth_stated
    update["origins"] = tuple(origins)
    return electronic.model_copy(update=update)


def _overlaid(
    sets: tuple[CostSharing, ...], phone: EligibilityResponse, call: str, notes: list[str]
) -> tuple[CostSharing, ...]:
    """One IOP benefit's terms per network with the call's laid over them."""
    found = []
    for network in (Network.IN, Network.OUT):
        said = phone.cost_sharing_for(network)
        asked = next((cs for cs in sets if cs.network is network), None)
        if said is None:
            if asked is not None:
                found.append(asked)
        elif asked is None:
            notes.append(
                f"{network.value.replace('_', '-')} IOP benefit {call}; the electronic answer "
                "reported none"
            )
            found.append(said)
        else:
            found.append(_combined(asked, said, call, notes))
    return tuple(found)


def merge(
    electronic: EligibilityResponse, entry: PhoneAnswer, request: EligibilityRequest
) -> EligibilityResponse:
    """The electronic answer with the call's terms laid over it, and what was changed; the
    call is read for the request's service date and program, as the manual adapter reads it."""
    context = IopContext(
        service_date=request.service_start,
        substance_use=bool(codes.SUD_SERVICE_TYPES.intersection(request.service_types)),
    )
    phone = normalize(entry, context)
    call = f"from the phone call on {day_text(entry.call_date)} (reference {entry.call_reference})"
    notes = [
        f"A phone call on {day_text(entry.call_date)} (reference {entry.call_reference}) is "
        "combined with the payer's electronic answer: the call fills terms the electronic answer "
        "left out and, where they differ, the call's terms are used"
    ]
    split, cost_sharing = electronic.split, electronic.cost_sharing
    if split is None:
        cost_sharing = _overlaid(cost_sharing, phone, call, notes)
    else:
        # The call is about the IOP benefit as a whole: its terms lie over both halves of an
        # answer that split mental health from substance use, and the choice between them stands.
        halves = {}
        for benefit in BehavioralBenefit:
            said: list[str] = []
            halves[benefit] = _overlaid(split.of(benefit), phone, call, said)
            notes += [f"{benefit.label.capitalize()} benefit: {note}" for note in said]
        split = split.model_copy(
            update={
                "mental_health": halves[BehavioralBenefit.MENTAL_HEALTH],
                "substance_use": halves[BehavioralBenefit.SUBSTANCE_USE],
            }
        )
    active = electronic.active
    if phone.active != electronic.active:
        active = phone.active
        now, was = ("active", "not active") if phone.active else ("not active", "active")
        notes.append(f"Coverage {now} {call}; the electronic answer said {was}")
    qmb = electronic.medicare_qmb
    if entry.medicare_qmb is not None and entry.medicare_qmb != qmb:
        qmb = entry.medicare_qmb
        notes.append(
            f"Qualified Medicare Beneficiary: {'yes' if qmb else 'no'} {call}; the electronic "
            f"answer said {'no' if qmb else 'yes'}"
        )
    return electronic.model_copy(
        update={
            "active": active,
            "plan_name": electronic.plan_name or phone.plan_name,
            "insurance_type": entry.insurance_type or electronic.insurance_type,
            "plan_begin": electronic.plan_begin or phone.plan_begin,
            "plan_end": electronic.plan_end or phone.plan_end,
            "medicare_qmb": qmb,
            "cost_sharing": cost_sharing,
            "split": split,
            "next_year_cost_sharing": phone.next_year_cost_sharing,
            "benefits": electronic.benefits + phone.benefits,
            "assumptions": (*electronic.assumptions, *notes),
            "messages": tuple(dict.fromkeys(electronic.messages + phone.messages)),
        }
    )
