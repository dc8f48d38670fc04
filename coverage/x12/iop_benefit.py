"""Every payer answer, whatever its transport, read as 271 content into the normalized
EligibilityResponse: the benefit that applies to IOP is chosen here (X12, clearinghouse JSON,
FHIR and phone answers alike).

Payers repeat a benefit per network, coverage level, time period, place of service and service
type (Stedi blog "6 tips for behavioral health eligibility checks", Nov 5 2025). For each network
this picks one IOP line per network: the copay or coinsurance line with the most specific IOP
service type, then the exact network, a facility IOP place of service (never office 11 or
telehealth 02/10), the individual level, the period containing the service date and a remaining
amount. Copay, coinsurance, day limit and authorization come only from lines agreeing with it on
service type and place of service (a line naming no place applies at every place): a term the
chosen line lacks is absent, never borrowed from another service's or place's line. Each choice
is written to `assumptions` with the lines it was chosen over.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from coverage.domain.eligibility import (
    Benefit,
    BenefitKind,
    BenefitPeriod,
    BenefitSplit,
    Contact,
    ContactKind,
    CostSharing,
    CostTerm,
    EligibilityResponse,
    InsuranceType,
    LimitUnit,
    Network,
    OtherPayer,
    OtherPayerRole,
    PayerIssue,
    PeriodKind,
    RelatedEntity,
    TermOrigin,
    TimePeriod,
    VisitLimit,
)
from coverage.domain.request import BehavioralBenefit
from coverage.errors import PayerError, PayerPermanentError, PayerTransientError
from coverage.x12 import codes
from coverage.x12.reader_271 import (
    DEPENDENT,
    SUBSCRIBER,
    EligibilityBenefit,
    Interchange271,
    Name,
    Party,
    Reference,
    Response271,
    ServiceDelivery,
    read_271,
)
from coverage.x12.reader_271 import Contact as Per
from coverage.x12.reader_271 import RelatedEntity as Entity2120

MEDIA_TYPE = "application/edi-x12"
_ONE, _HUNDRED = Decimal(1), Decimal(100)


@dataclass(frozen=True, slots=True)
class IopContext:
    """What the choice among duplicated lines depends on."""

    service_date: date
    substance_use: bool = False
    # Both benefits were asked (MH and a substance-use type): each is read on its own.
    both: bool = False
    # Reading the substance-use half of a split answer: its own service types (and the plan's
    # 30) only, never the mental-health lines a substance-use program otherwise falls back on.
    own_lines_only: bool = False

    @classmethod
    def asked(cls, service_date: date, service_types: Iterable[str]) -> "IopContext":
        """The context of an inquiry about these service types."""
        types = frozenset(service_types)
        substance = bool(codes.SUD_SERVICE_TYPES & types)
        mental = bool(codes.MH_SERVICE_TYPES & types)
        return cls(service_date, substance_use=substance, both=substance and mental)

    @property
    def service_types(self) -> tuple[str, ...]:
        if not self.substance_use:
            return codes.IOP_SERVICE_TYPES_MH
        return (
            codes.IOP_SERVICE_TYPES_SUD_ONLY if self.own_lines_only else codes.IOP_SERVICE_TYPES_SUD
        )

    @property
    def benefit(self) -> BehavioralBenefit:
        if self.substance_use:
            return BehavioralBenefit.SUBSTANCE_USE
        return BehavioralBenefit.MENTAL_HEALTH


def read_eligibility(raw: str, context: IopContext) -> EligibilityResponse:
    """Read and interpret a 271 interchange. Raises only X12ParseError."""
    return interpret_271(read_271(raw), raw=raw, context=context)


def interpret_271(parsed: Interchange271, *, raw: str, context: IopContext) -> EligibilityResponse:
    return interpret_responses(parsed.responses, raw=raw, context=context)


def interpret_responses(
    responses: Sequence[Response271],
    *,
    raw: str,
    context: IopContext,
    media_type: str = MEDIA_TYPE,
) -> EligibilityResponse:
    """The one interpretation of 271 content, whether it came as X12 or as a clearinghouse's
    JSON rendering of it (coverage/x12/json_271.py)."""
    patients, subscribers = _patients(responses)
    lines = [eb for patient in patients for eb in patient.benefits]
    assumptions: list[str] = []
    benefits = tuple(_benefit(eb, assumptions) for eb in lines)
    plan_begin, plan_end = _plan_dates(patients + subscribers)
    active = any(eb.code in codes.ACTIVE_CODES for eb in lines)
    if active and plan_end is not None and plan_end < context.service_date:
        active = False
        assumptions.append("coverage active, but the plan ends before the service date: inactive")
    if active and plan_begin is not None and plan_begin > context.service_date:
        active = False
        assumptions.append("coverage active, but the plan begins after the service date: inactive")
    qmb = any(
        eb.insurance_type == codes.QMB_INSURANCE_TYPE and eb.code not in codes.INACTIVE_CODES
        for eb in lines
    )
    if qmb:
        assumptions.append(
            "Qualified Medicare Beneficiary read from EB04 QM (HETS encoding: draft)"
        )
    split = _split(lines, context, assumptions) if context.both else None
    # Split: which benefit prices is decided with the request (coverage/domain/benefit_choice.py).
    cost_sharing = () if split is not None else _cost_sharings(lines, context, assumptions)
    return EligibilityResponse(
        active=active,
        plan_name=_plan_name(lines),
        insurance_type=_insurance_type(lines),
        plan_begin=plan_begin,
        plan_end=plan_end,
        group_number=_reference(patients + subscribers, codes.GROUP_REFERENCES),
        plan_number=_reference(patients + subscribers, (codes.PLAN_REFERENCE,)),
        medicare_qmb=qmb,
        cost_sharing=cost_sharing,
        benefits=benefits,
        other_payers=_other_payers(lines),
        issues=tuple(_issues(responses)),
        related_entities=tuple(dict.fromkeys(e for b in benefits for e in b.entities)),
        disclaimers=_disclaimers(lines),
        assumptions=tuple(assumptions),
        messages=_messages(lines, context),
        raw_payload=raw,
        raw_media_type=media_type,
        priced_by=None if split is not None else context.benefit,
        split=split,
    )


def _cost_sharings(
    lines: list[EligibilityBenefit], context: IopContext, assumptions: list[str]
) -> tuple[CostSharing, ...]:
    return tuple(
        cs
        for network in (Network.IN, Network.OUT)
        if (cs := _cost_sharing(lines, network, context, assumptions)) is not None
    )


def _split(
    lines: list[EligibilityBenefit], context: IopContext, assumptions: list[str]
) -> BenefitSplit:
    """Each benefit's line set chosen as if it alone had been asked: the MH choice never sees a
    substance-use service type first, nor the SUD choice a mental-health one."""
    sets: dict[BehavioralBenefit, tuple[CostSharing, ...]] = {}
    for substance in (False, True):
        one = replace(context, substance_use=substance, both=False, own_lines_only=True)
        notes: list[str] = []
        sets[one.benefit] = _cost_sharings(lines, one, notes)
        assumptions.extend(f"{one.benefit.label} benefit: {note}" for note in notes)
    # A benefit with no copay or coinsurance line of its own, beside one that has them, is not
    # stated: the plan-wide (30) reading left to it would price it as free after the deductible.
    own = {b: _own_terms(lines, b) for b in sets}
    if len(set(own.values())) > 1:
        sets = {b: found if own[b] else () for b, found in sets.items()}
    said = {b: _said(lines, b, found) for b, found in sets.items()}
    return BenefitSplit(
        mental_health=sets[BehavioralBenefit.MENTAL_HEALTH],
        substance_use=sets[BehavioralBenefit.SUBSTANCE_USE],
        mental_health_said=said[BehavioralBenefit.MENTAL_HEALTH],
        substance_use_said=said[BehavioralBenefit.SUBSTANCE_USE],
    )


def _own_lines(
    lines: list[EligibilityBenefit], benefit: BehavioralBenefit
) -> list[EligibilityBenefit]:
    own = (
        codes.SUD_SERVICE_TYPES
        if benefit is BehavioralBenefit.SUBSTANCE_USE
        else codes.MH_SERVICE_TYPES
    )
    return [eb for eb in lines if own.intersection(eb.service_types)]


def _own_terms(lines: list[EligibilityBenefit], benefit: BehavioralBenefit) -> bool:
    return any(eb.code in ("A", "B") for eb in _own_lines(lines, benefit))


def _said(
    lines: list[EligibilityBenefit], benefit: BehavioralBenefit, found: tuple[CostSharing, ...]
) -> str:
    """What the payer said of one benefit, in plain words (its own service types only)."""
    mine = _own_lines(lines, benefit)
    if found:
        return "; ".join(cs.describe() for cs in found)
    referred = [eb for eb in mine if eb.code == "U"]
    if referred:
        names = [n for eb in referred for e in eb.entities if (n := _entity_name(e.name))]
        to = names[0] if names else "another administrator"
        return f"administered by {to} (carve-out): no cost sharing in this answer"
    if any(eb.code in codes.INACTIVE_CODES or eb.code == "I" for eb in mine):
        return "not covered"
    return "no cost sharing stated"


def payer_error(response: EligibilityResponse) -> PayerError | None:
    """The error an adapter raises for this answer: None when it carries an answer to use.

    Line-level (2110) rejects never fail the check; a retryable reject anywhere else makes the
    whole answer retryable, otherwise the first final reject ends it with its fix hint.
    """
    blocking = [i for i in response.issues if not (i.loop or "").startswith("2110")]
    if not blocking:
        return None
    retryable = next((i for i in blocking if i.retryable), None)
    if retryable is not None:
        return PayerTransientError(
            f"payer answered AAA {retryable.code} in loop {retryable.loop}",
            action=retryable.hint,
            reject_code=retryable.code,
        )
    final = blocking[0]
    return PayerPermanentError(
        f"payer answered AAA {final.code} in loop {final.loop}",
        action=final.hint,
        reject_code=final.code,
    )


# -- who the answer is about ---------------------------------------------------------------


def _patients(responses: Sequence[Response271]) -> tuple[list[Party], list[Party]]:
    """The patient in each response: the dependent when there is one, else the subscriber."""
    patients: list[Party] = []
    subscribers: list[Party] = []
    for response in responses:
        members = list(response.members())
        subscribers.extend(m for m in members if m.level == SUBSCRIBER)
        dependents = [m for m in members if m.level == DEPENDENT]
        patients.extend(dependents or [m for m in members if m.level == SUBSCRIBER])
    return patients, subscribers


def _reference(parties: Iterable[Party], qualifiers: tuple[str, ...]) -> str | None:
    """The first 2100C/D REF of the preferred qualifier (the patient's loop before the
    subscriber's)."""
    found: list[Reference] = [r for p in parties for r in p.references if r.value]
    for qualifier in qualifiers:
        ref = next((r for r in found if r.qualifier == qualifier), None)
        if ref is not None:
            return ref.value
    return None


def _disclaimers(lines: list[EligibilityBenefit]) -> tuple[str, ...]:
    """EB*P benefit disclaimers: their MSG text (or EB05 when a payer puts it there)."""
    texts: dict[str, None] = {}
    for eb in lines:
        if eb.code == codes.DISCLAIMER_CODE:
            said = eb.messages or ([eb.plan_description] if eb.plan_description else [])
            texts.update(dict.fromkeys(said))
    return tuple(texts)


def _plan_dates(parties: Iterable[Party]) -> tuple[date | None, date | None]:
    begin: date | None = None
    end: date | None = None
    for party in parties:
        for period in party.dates:
            if period.start is None:
                continue
            ranged = period.end is not None and period.end != period.start
            if period.qualifier in ("346", "356", "307") and begin is None:
                begin = period.start
                if ranged and end is None:
                    end = period.end
            elif period.qualifier in ("347", "357") and end is None:
                end = period.end
    return begin, end


# -- one EB line -> one normalized Benefit ---------------------------------------------------


def _fraction(percent: Decimal | None) -> Decimal | None:
    """EB08 is a fraction (.2 = 20%); some payers send 20. Above 100 it means nothing usable."""
    if percent is None or percent <= _ONE:
        return percent
    return percent / _HUNDRED if percent <= _HUNDRED else None


def _benefit(eb: EligibilityBenefit, assumptions: list[str]) -> Benefit:
    percent = _fraction(eb.percent)
    if eb.percent is not None and percent != eb.percent:
        assumptions.append(
            f"EB #{eb.segment_number}: EB08 {eb.percent} "
            + (
                f"read as a whole percent ({percent})"
                if percent is not None
                else "above 100 ignored"
            )
        )
    entity = eb.entities[0].name if eb.entities else None
    messages = list(eb.messages)
    messages.extend(_delivery_text(d) for d in eb.deliveries if d.quantity is not None)
    return Benefit(
        segment_number=eb.segment_number,
        kind=codes.BENEFIT_KIND.get(eb.code, BenefitKind.OTHER),
        service_types=eb.service_types,
        coverage_level=codes.COVERAGE_LEVEL.get(eb.coverage_level),
        insurance_type_code=eb.insurance_type or None,
        plan_description=eb.plan_description or None,
        time_period=codes.TIME_PERIOD.get(eb.time_period, TimePeriod.OTHER)
        if eb.time_period
        else None,
        amount=eb.amount,
        percent=percent,
        quantity=eb.quantity,
        quantity_unit=codes.QUANTITY_UNIT.get(eb.quantity_qualifier, eb.quantity_qualifier or None),
        auth_required={"Y": True, "N": False}.get(eb.authorization),
        network=codes.NETWORK.get(eb.in_network),
        messages=tuple(messages),
        entity_name=_entity_name(entity) if entity else None,
        entity_id=entity.id or None if entity else None,
        entities=tuple(_related(eb, related) for related in eb.entities),
        periods=tuple(
            BenefitPeriod(
                kind=codes.PERIOD_KIND.get(d.qualifier, PeriodKind.OTHER),
                qualifier=d.qualifier,
                start=d.start,
                end=d.end or d.start,
            )
            for d in eb.dates
            if d.start is not None
        ),
        limits=tuple(_limit(d) for d in eb.deliveries if d.quantity is not None),
    )


def _limit(d: ServiceDelivery) -> VisitLimit:
    """HSD as a typed limit; codes outside the verified lists stay as sent (raw_unit)."""
    assert d.quantity is not None
    per = codes.LIMIT_PER.get(d.time_period) if d.time_period else None
    periods = d.period_count
    if per is None and not d.time_period and d.unit in codes.LIMIT_BASIS:
        per, periods = codes.LIMIT_BASIS[d.unit], d.sample_modulus
    return VisitLimit(
        quantity=d.quantity,
        unit=codes.LIMIT_UNIT.get(d.quantity_qualifier, LimitUnit.OTHER),
        per=per,
        periods=periods,
        raw_unit="/".join((d.quantity_qualifier, d.unit, d.time_period)),
        sample_modulus=d.sample_modulus,
        frequency=d.frequency or None,
        pattern=d.pattern or None,
        text=_delivery_text(d),
    )


def _contacts(per: Per) -> Iterable[Contact]:
    extension = next((n for q, n in per.numbers if q == codes.PHONE_EXTENSION and n), None)
    for qualifier, number in per.numbers:
        if qualifier == codes.PHONE_EXTENSION or not number:
            continue
        kind = codes.CONTACT_KIND.get(qualifier, ContactKind.OTHER)
        yield Contact(
            kind=kind,
            value=number,
            extension=extension if kind is ContactKind.PHONE else None,
            qualifier=qualifier,
            name=per.name or None,
        )


def _related(eb: EligibilityBenefit, related: Entity2120) -> RelatedEntity:
    name = related.name
    role = (
        codes.CARVE_OUT_ROLE
        if _carve_out(eb, name)
        else codes.ENTITY_ROLE.get(name.entity, f"entity {name.entity}")
    )
    return RelatedEntity(
        role=role,
        entity_code=name.entity,
        name=_entity_name(name),
        id=name.id or None,
        id_qualifier=name.id_qualifier or None,
        contacts=tuple(c for per in related.contacts for c in _contacts(per)),
        service_types=eb.service_types,
    )


def _behavioral(eb: EligibilityBenefit) -> bool:
    return not eb.service_types or bool(
        codes.BEHAVIORAL_SERVICE_TYPES.intersection(eb.service_types)
    )


def _carve_out(eb: EligibilityBenefit, name: Name) -> bool:
    """EB*U for behavioral service types, or an active behavioral line naming an administrator."""
    if eb.code == "U":
        return _behavioral(eb)
    return (
        eb.code in codes.ACTIVE_CODES
        and bool(eb.service_types)
        and _behavioral(eb)
        and name.entity in codes.ADMINISTRATOR_ENTITIES
    )


def _delivery_text(d: ServiceDelivery) -> str:
    """HSD as a sentence, e.g. '3 visits per 1 week'."""
    unit = codes.QUANTITY_UNIT.get(d.quantity_qualifier, d.quantity_qualifier)
    text = f"{d.quantity} {unit}"
    if d.time_period:
        period = codes.DELIVERY_PERIOD.get(d.time_period, d.time_period)
        text += f" per {d.period_count or 1} {period}"
    return text


def _entity_name(name: Name) -> str | None:
    parts = (
        [name.first, name.middle, name.last_or_organization]
        if name.entity_type == "1"
        else [name.last_or_organization]
    )
    return " ".join(p for p in parts if p) or None


def _plan_name(lines: list[EligibilityBenefit]) -> str | None:
    active = [eb for eb in lines if eb.code in codes.ACTIVE_CODES and eb.plan_description]
    general = [eb for eb in active if "30" in eb.service_types]
    chosen = general or active or [eb for eb in lines if eb.plan_description]
    return chosen[0].plan_description if chosen else None


def _insurance_type(lines: list[EligibilityBenefit]) -> InsuranceType:
    ordered = [eb for eb in lines if eb.code in codes.ACTIVE_CODES] + lines
    for eb in ordered:
        if eb.code != "R" and eb.insurance_type in codes.INSURANCE_TYPE:
            return codes.INSURANCE_TYPE[eb.insurance_type]
    return InsuranceType.OTHER


def _messages(lines: list[EligibilityBenefit], context: IopContext) -> tuple[str, ...]:
    wanted = set(context.service_types) | codes.BEHAVIORAL_SERVICE_TYPES
    seen: dict[str, None] = {}
    for eb in lines:
        if not eb.service_types or wanted.intersection(eb.service_types):
            seen.update(dict.fromkeys(eb.messages))
            seen.update(
                dict.fromkeys(_delivery_text(d) for d in eb.deliveries if d.quantity is not None)
            )
    return tuple(seen)


# -- other payers and carve-outs ------------------------------------------------------------


def _other_payers(lines: list[EligibilityBenefit]) -> tuple[OtherPayer, ...]:
    found: dict[OtherPayer, None] = {}
    for eb in lines:
        for related in eb.entities:
            name = related.name
            if eb.code == "R":
                role = codes.OTHER_PAYER_ROLE.get(name.entity, OtherPayerRole.OTHER)
            elif _carve_out(eb, name):
                role = OtherPayerRole.CARVE_OUT
            elif eb.code == "U":
                role = OtherPayerRole.OTHER
            else:
                continue  # PCP, facility, restricted provider: not a payer
            found[
                OtherPayer(
                    role=role,
                    name=_entity_name(name),
                    payer_id=name.id or None if name.id_qualifier in ("PI", "XV", "NI") else None,
                    member_id=name.id or None if name.id_qualifier in ("MI", "II") else None,
                    insurance_type_code=eb.insurance_type or None,
                )
            ] = None
        if eb.code == "R" and not eb.entities:
            found[
                OtherPayer(role=OtherPayerRole.OTHER, insurance_type_code=eb.insurance_type or None)
            ] = None
    return tuple(found)


# -- request validation (AAA) ---------------------------------------------------------------


def _issues(responses: Sequence[Response271]) -> Iterable[PayerIssue]:
    for response in responses:
        for v in response.validations():
            reject = codes.REJECT_REASONS.get(v.reason, codes.DEFAULT_REJECT)
            retryable = reject.retryable and v.follow_up not in codes.NO_RESUBMIT
            if v.reason in codes.AUTH_REASONS:
                hint = "The payer requires authorization or medical review for this service."
            else:
                hint = reject.hint
            yield PayerIssue(
                code=v.reason[:3],
                follow_up=v.follow_up[:1] or None,
                loop=v.loop,
                retryable=retryable,
                hint=hint,
            )


# -- the IOP benefit per network ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    eb: EligibilityBenefit
    key: tuple[int, ...]

    def describe(self) -> str:
        eb = self.eb
        parts = [
            "/".join(eb.service_types) or "no service type",
            eb.coverage_level or "level not stated",
            f"period {eb.time_period}" if eb.time_period else "no period",
            {"Y": "in network", "N": "out of network", "W": "either network"}.get(
                eb.in_network, "network not stated"
            ),
        ]
        return f"EB #{eb.segment_number} ({', '.join(parts)})"


def _network_rank(eb: EligibilityBenefit, network: Network) -> int | None:
    """0 exact network, 1 either network (W), 2 not stated (taken as in-network); None: other network."""
    stated = codes.NETWORK.get(eb.in_network)
    if stated is network:
        return 0
    if eb.in_network == "W":
        return 1
    if stated is None and network is Network.IN:
        return 2
    return None


def _service_rank(eb: EligibilityBenefit, order: tuple[str, ...]) -> int | None:
    types = eb.service_types or ("30",)  # a line without EB03 applies to the plan as a whole
    ranks = [order.index(t) for t in types if t in order]
    return min(ranks) if ranks else None


def _applies_on(eb: EligibilityBenefit, day: date) -> bool:
    """DTP 292 (benefit period), 348 (benefit begin) and 349 (benefit end) must allow the day."""
    for period in eb.dates:
        start, end = period.start, period.end
        if start is None:
            continue
        if period.qualifier == "292" and not start <= day <= (end or start):
            return False
        if (period.qualifier == "348" and day < start) or (
            period.qualifier == "349" and day > start
        ):
            return False
    return True


def _places(eb: EligibilityBenefit) -> frozenset[str]:
    return frozenset(q.code for q in eb.qualifiers if q.qualifier == "ZZ")


def _pos_rank(eb: EligibilityBenefit) -> int | None:
    """0 a facility IOP place of service, 1 none stated (every place); None: not an IOP setting."""
    places = _places(eb)
    if not places:
        return 1
    return 0 if places & codes.IOP_PLACES_OF_SERVICE else None


def _place_reason(eb: EligibilityBenefit) -> str:
    places = _places(eb)
    office = sorted(places & codes.OFFICE_PLACES_OF_SERVICE)
    telehealth = sorted(places & codes.TELEHEALTH_PLACES_OF_SERVICE)
    if office:
        return f"office place of service {'/'.join(office)}, not the facility IOP benefit"
    if telehealth:
        return f"telehealth place of service {'/'.join(telehealth)}, not the facility IOP benefit"
    return "place of service not an IOP setting"


def _candidates(
    lines: list[EligibilityBenefit],
    network: Network,
    context: IopContext,
    accept: Callable[[EligibilityBenefit], bool],
    period_rank: Callable[[EligibilityBenefit], int],
) -> tuple[list[_Candidate], list[str]]:
    """Lines of one kind that may apply, best first, and why the others of that kind may not."""
    found, excluded = [], []
    for eb in lines:
        if not accept(eb):
            continue
        service = _service_rank(eb, context.service_types)
        net = _network_rank(eb, network)
        pos = _pos_rank(eb)
        if not _applies_on(eb, context.service_date):
            excluded.append(f"EB #{eb.segment_number} (benefit period excludes the service date)")
        elif service is None:
            excluded.append(f"EB #{eb.segment_number} ({_other_service(eb, context)})")
        elif net is None:
            excluded.append(f"EB #{eb.segment_number} (other network)")
        elif pos is None:
            excluded.append(f"EB #{eb.segment_number} ({_place_reason(eb)})")
        else:
            level = 1 if eb.coverage_level in codes.FAMILY_LEVELS else 0
            key = (service, net, pos, level, period_rank(eb), eb.segment_number)
            found.append(_Candidate(eb, key))
    return sorted(found, key=lambda c: c.key), excluded


def _choose(
    label: str,
    network: Network,
    candidates: tuple[list[_Candidate], list[str]],
    assumptions: list[str],
) -> EligibilityBenefit | None:
    ranked, excluded = candidates
    if not ranked:
        return None
    best, rest = ranked[0], ranked[1:]
    note = f"{network.value} {label}: used {best.describe()}"
    if rest:
        note += " over " + "; ".join(c.describe() for c in rest)
        note += (
            " (rule: most specific IOP service type, exact network, IOP place of service, "
            "individual level, remaining amount)"
        )
    if excluded:
        note += "; not applicable: " + "; ".join(excluded)
    if best.eb.in_network in ("", "U"):
        note += "; network not stated, taken as in-network"
    assumptions.append(note)
    return best.eb


def _remaining_first(eb: EligibilityBenefit) -> int:
    if eb.time_period in codes.REMAINING_PERIODS:
        return 0
    return 2 if eb.time_period == "24" else 1  # 24 = used so far, not what is left


def _accumulator(
    code: str,
    label: str,
    lines: list[EligibilityBenefit],
    network: Network,
    context: IopContext,
    assumptions: list[str],
    family: bool,
) -> Decimal | None:
    """Remaining deductible or out-of-pocket for the individual (or the family)."""

    def accept(eb: EligibilityBenefit) -> bool:
        return (
            eb.code == code
            and eb.amount is not None
            and (eb.coverage_level in codes.FAMILY_LEVELS) == family
            and eb.time_period != "24"
        )

    who = "family " if family else ""
    eb = _choose(
        f"{who}{label}",
        network,
        _candidates(lines, network, context, accept, _remaining_first),
        assumptions,
    )
    if eb is None or eb.amount is None:
        return None
    if eb.time_period in codes.REMAINING_PERIODS:
        return eb.amount
    used = _choose(
        f"{who}{label} met so far",
        network,
        _candidates(
            lines,
            network,
            context,
            lambda o: (
                o.code == code
                and o.time_period == "24"
                and o.amount is not None
                and (o.coverage_level in codes.FAMILY_LEVELS) == family
                and o.service_types == eb.service_types
            ),
            _remaining_first,
        ),
        assumptions,
    )
    if used is not None and used.amount is not None:
        return max(eb.amount - used.amount, Decimal("0"))
    assumptions.append(
        f"{network.value} {who}{label}: remaining amount not reported; assumed none met"
    )
    return eb.amount


@dataclass(frozen=True, slots=True)
class _ChosenSet:
    """The IOP benefit line every cost-sharing term is read from: its service type and places."""

    anchor: _Candidate
    service_type: str
    places: frozenset[str]

    def agrees(self, eb: EligibilityBenefit) -> bool:
        """Same service type and the same place of service (a line naming no place applies at
        every place); the network was already matched when the line became a candidate."""
        places = _places(eb)
        return self.service_type in (eb.service_types or ("30",)) and (
            not places or not self.places or places == self.places
        )

    def describe(self) -> str:
        where = (
            f"place of service {'/'.join(sorted(self.places))}"
            if self.places
            else "no place of service"
        )
        return f"EB #{self.anchor.eb.segment_number} ({self.service_type}, {where})"


def _chosen_set(pools: Sequence[list[_Candidate]], context: IopContext) -> _ChosenSet | None:
    """The best line in the first pool that has one (copay and coinsurance, else limits)."""
    for pool in pools:
        if pool:
            best = min(pool, key=lambda c: c.key)
            return _ChosenSet(best, context.service_types[best.key[0]], _places(best.eb))
    return None


def _where(eb: EligibilityBenefit) -> str:
    places = _places(eb)
    types = "/".join(eb.service_types) or "no service type"
    return f"{types} at place of service {'/'.join(sorted(places))}" if places else types


def _within(
    chosen: _ChosenSet | None, candidates: tuple[list[_Candidate], list[str]]
) -> tuple[list[_Candidate], list[str]]:
    """Only the lines of the chosen benefit: a term is never borrowed from another line."""
    ranked, excluded = candidates
    if chosen is None:
        return candidates
    kept = [c for c in ranked if chosen.agrees(c.eb)]
    others = [
        f"EB #{c.eb.segment_number} ({_where(c.eb)}: not the service type and place of service "
        "of the chosen IOP line)"
        for c in ranked
        if not chosen.agrees(c.eb)
    ]
    return kept, excluded + others


def _cost_sharing(
    lines: list[EligibilityBenefit], network: Network, context: IopContext, assumptions: list[str]
) -> CostSharing | None:
    def kind(code: str) -> Callable[[EligibilityBenefit], bool]:
        return lambda eb: eb.code == code

    def session_first(eb: EligibilityBenefit) -> int:
        return 0 if eb.time_period in codes.PER_SESSION_PERIODS or not eb.time_period else 1

    excluded, _ = _candidates(lines, network, context, kind("I"), session_first)
    copays = _candidates(
        lines, network, context, lambda eb: eb.code == "B" and eb.amount is not None, session_first
    )
    coinsurances = _candidates(
        lines, network, context, lambda eb: eb.code == "A" and eb.percent is not None, session_first
    )
    limits = _candidates(
        lines,
        network,
        context,
        lambda eb: (
            eb.code == "F"
            and eb.quantity is not None
            and eb.quantity_qualifier in codes.DAY_LIMIT_UNITS
        ),
        _remaining_first,
    )
    # One benefit line set per network: the best copay or coinsurance line decides the service
    # type and place of service; copay, coinsurance, limit and authorization all come from it.
    chosen_set = _chosen_set((copays[0] + coinsurances[0], limits[0]), context)
    copays, coinsurances = _within(chosen_set, copays), _within(chosen_set, coinsurances)
    copay = _choose("copay", network, copays, assumptions)
    coinsurance = _choose("coinsurance", network, coinsurances, assumptions)
    all_limits, limits = limits[0], _within(chosen_set, limits)
    limit = _choose("day limit", network, limits, assumptions)
    deductible = _accumulator("C", "deductible", lines, network, context, assumptions, family=False)
    family_deductible = _accumulator(
        "C", "deductible", lines, network, context, assumptions, family=True
    )
    oop = _accumulator("G", "out-of-pocket", lines, network, context, assumptions, family=False)
    family_oop = _accumulator(
        "G", "out-of-pocket", lines, network, context, assumptions, family=True
    )
    found = [copay, coinsurance, limit]
    if all(x is None for x in found) and all(
        x is None for x in (deductible, family_deductible, oop, family_oop)
    ):
        return None
    chosen = [eb for eb in found if eb is not None]
    best_rank = min((_service_rank(eb, context.service_types) or 0 for eb in chosen), default=None)
    if excluded and (best_rank is None or excluded[0].key[0] < best_rank):
        assumptions.append(
            f"{network.value}: {excluded[0].describe()} says IOP service types are not covered"
        )
        return None
    deductible_stated = deductible
    if deductible is None:
        deductible = family_deductible if family_deductible is not None else Decimal("0")
        assumptions.append(
            f"{network.value}: no individual deductible reported for IOP service types; "
            f"used {'the family amount' if family_deductible is not None else '0.00'}"
        )
    auth = (
        any(eb.authorization == "Y" for eb in chosen)
        or any(v.reason in codes.AUTH_REASONS for eb in chosen for v in eb.validations)
        or _auth_on_active_line(lines, network, context, chosen_set)
    )
    auth_stated = auth or any(eb.authorization == "N" for eb in chosen)
    percent = _fraction(coinsurance.percent) if coinsurance is not None else None
    if copay is None:
        assumptions.append(_absent(network, "copay", "used 0.00", chosen_set, copays[1]))
    if coinsurance is None:
        assumptions.append(_absent(network, "coinsurance", "used 0%", chosen_set, coinsurances[1]))
    if limit is None and all_limits:
        assumptions.append(_absent(network, "day limit", "no limit applied", chosen_set, limits[1]))
    if oop is None and family_oop is None:
        assumptions.append(f"{network.value}: no out-of-pocket maximum reported")
    day_limit = None
    if limit is not None and limit.quantity is not None:
        day_limit = int(limit.quantity)
        if limit.time_period not in codes.REMAINING_PERIODS:
            assumptions.append(
                f"{network.value}: visit limit {day_limit} is the plan total; days used not reported"
            )
    after_deductible = _copay_after_deductible(copay, network, assumptions)
    weekly = _weekly_cap(chosen, network, assumptions)
    stated: dict[CostTerm, object] = {
        "deductible": deductible_stated,
        "family_deductible": family_deductible,
        "out_of_pocket": oop,
        "family_out_of_pocket": family_oop,
        "copay": copay,
        "coinsurance": coinsurance,
        "day_limit": day_limit,
    }
    return CostSharing(
        network=network,
        deductible_remaining=deductible,
        family_deductible_remaining=family_deductible,
        coinsurance=percent if percent is not None else Decimal("0"),
        copay_per_day=copay.amount
        if copay is not None and copay.amount is not None
        else Decimal("0"),
        copay_applies_after_deductible=after_deductible,
        copay_deductible_stated=not after_deductible,
        oop_remaining=oop if oop is not None else family_oop,
        family_oop_remaining=family_oop,
        prior_auth_required=auth,
        prior_auth_stated=auth_stated,
        day_limit_remaining=day_limit,
        visits_per_week=weekly,
        origins=tuple(
            TermOrigin(term=term, source="electronic")
            for term, found in stated.items()
            if found is not None
        ),
    )


def _weekly_cap(
    chosen: list[EligibilityBenefit], network: Network, assumptions: list[str]
) -> int | None:
    """The tightest per-week visit or day cap (HSD) on the chosen IOP lines."""
    caps = [
        (cap, eb)
        for eb in chosen
        for d in eb.deliveries
        if d.quantity is not None and (cap := _limit(d).per_week) is not None
    ]
    if not caps:
        return None
    cap, eb = min(caps, key=lambda c: c[0])
    assumptions.append(
        f"{network.value}: EB #{eb.segment_number} limits IOP to {cap} visits a week (HSD); "
        "days over it in a calendar week are not covered"
    )
    return cap


def _copay_after_deductible(
    copay: EligibilityBenefit | None, network: Network, assumptions: list[str]
) -> bool:
    """Whether the copay waits for the deductible, read from the chosen copay line's own MSG."""
    if copay is None:
        return True
    said = next(
        (
            m
            for m in copay.messages
            if any(p in " ".join(m.upper().split()) for p in codes.COPAY_OUTSIDE_DEDUCTIBLE)
        ),
        None,
    )
    if said is None:
        return True
    assumptions.append(
        f"{network.value} copay: EB #{copay.segment_number} says the deductible does not apply; "
        "the copay is charged from the first day"
    )
    return False


def _absent(
    network: Network, term: str, used: str, chosen: _ChosenSet | None, not_used: list[str]
) -> str:
    """A term the chosen IOP line does not carry: absent, never taken from another line."""
    if chosen is None:
        text = f"{network.value}: no {term} reported for IOP service types; {used}"
    else:
        text = f"{network.value} {term}: none on the chosen IOP line {chosen.describe()}; {used}"
    if not_used:
        text += "; not used: " + "; ".join(not_used)
    return text


def _other_service(eb: EligibilityBenefit, context: IopContext) -> str:
    """Why a line's service type is not this benefit's: the other behavioral benefit is named,
    so a substance-use line in a mental-health reading does not read as a non-IOP line."""
    types = set(eb.service_types)
    if context.substance_use and types & codes.MH_SERVICE_TYPES:
        return "mental health service type: not this program's benefit"
    if not context.substance_use and types & codes.SUD_SERVICE_TYPES:
        return "substance use service type: not this program's benefit"
    return "no IOP service type"


def _auth_on_active_line(
    lines: list[EligibilityBenefit],
    network: Network,
    context: IopContext,
    chosen_set: _ChosenSet | None,
) -> bool:
    """EB11 Y on an active-coverage line for the chosen benefit (its service type and place)."""
    return any(
        eb.authorization == "Y"
        for eb in lines
        if eb.code in codes.ACTIVE_CODES
        and _service_rank(eb, context.service_types) is not None
        and _network_rank(eb, network) is not None
        and _pos_rank(eb) is not None
        and (chosen_set is None or chosen_set.agrees(eb))
    )
