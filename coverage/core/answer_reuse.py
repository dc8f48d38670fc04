"""Reuse of a payer's recent eligibility answer instead of a new, paid, call.

Same payer, same person (member ID, name, birth date, relationship: dependents share a member
ID), same service dates, within the payer's TTL. The reuse is stored as the attempt's own check,
pointing at the answer it reused, so the result still shows where its benefits came from.
"""

import uuid
from datetime import timedelta

from sqlmodel import Session

from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse
from coverage.domain.payer import PayerConfig
from coverage.domain.request import BehavioralBenefit
from coverage.settings import get_settings
from coverage.store import payer_calls
from coverage.store.crypto import keyed_hash
from coverage.store.tables import PayerCall, utcnow


def subject_hash(eligibility: EligibilityRequest) -> str:
    """Who was asked about, as an HMAC: dependents share the subscriber's member ID."""
    return keyed_hash(
        "|".join(
            (
                eligibility.member_id,
                eligibility.first_name,
                eligibility.last_name,
                eligibility.birth_date.isoformat(),
                eligibility.relationship.value,
            )
        )
    )


def cache_seconds(payer: PayerConfig) -> float:
    """How long this payer's answers may be reused (0: never)."""
    own = payer.limits.cache_seconds if payer.limits else None
    return get_settings().eligibility_cache_seconds if own is None else own


def reuse(
    session: Session,
    eligibility: EligibilityRequest,
    payer: PayerConfig,
    *,
    policy_id: uuid.UUID,
    job_id: uuid.UUID,
) -> EligibilityResponse | None:
    """The payer's recent answer for the same person and dates, recorded as this attempt's check:
    each eligibility call is a paid transaction, and the answer cannot have changed much. In the
    caller's unit of work."""
    ttl = cache_seconds(payer)
    if ttl <= 0:
        return None
    hit = payer_calls.reusable(
        session,
        payer_id=payer.id,
        subject_hash=subject_hash(eligibility),
        service_start=eligibility.service_start,
        service_end=eligibility.service_end,
        since=utcnow() - timedelta(seconds=ttl),
    )
    if hit is None or hit.normalized is None:
        return None
    answer = EligibilityResponse.model_validate({**hit.normalized, "raw_payload": ""})
    if not _answers_the_same_question(answer, eligibility):
        return None
    payer_calls.record(
        session,
        call=PayerCall(
            job_id=job_id,
            policy_id=policy_id,
            adapter=payer.adapter,
            outcome="reused",
            raw_sha256=hit.raw_sha256,
            normalized=hit.normalized,
            payer_id=payer.id,
            reused_from=hit.id,
        ),
    )
    return answer


def _answers_the_same_question(
    answer: EligibilityResponse, eligibility: EligibilityRequest
) -> bool:
    """An answer about mental health does not answer a substance-use question, nor one about a
    single benefit a question about both (answers stored before `priced_by` were about MH)."""
    asked = eligibility.benefits_asked
    if len(asked) > 1:
        return answer.split is not None
    return answer.split is None and {answer.priced_by or BehavioralBenefit.MENTAL_HEALTH} == asked
