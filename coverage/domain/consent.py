"""42 CFR Part 2 consent: what a patient signed, to whom, for what, and whether it lets this
service disclose their record to a given recipient today (42 CFR 2.31; docs/part2.md)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ConsentName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]

# 42 CFR 2.32, Statement 2: carried by every human-readable disclosure of a Part 2 record.
PART2_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


class ConsentSigner(StrEnum):
    PATIENT = "patient"
    REPRESENTATIVE = "authorized_representative"


class RecipientKind(StrEnum):
    PAYER = "payer"
    CARVE_OUT = "carve_out_administrator"
    VOB_SERVICE = "outside_vob_service"


class ConsentPurpose(StrEnum):
    """The purposes a TPO consent names (42 CFR 2.31(a)(4)-(5) as amended in 2024)."""

    TREATMENT = "treatment"
    PAYMENT = "payment"
    OPERATIONS = "health_care_operations"


class Part2Consent(BaseModel):
    """One signed consent. The recipient is named as the payer directory knows it (its id, name
    or an alias), so the pipeline can tell which payer the consent lets it contact."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signed_by: ConsentSigner = ConsentSigner.PATIENT
    representative_name: ConsentName | None = None
    recipient_kind: RecipientKind = RecipientKind.PAYER
    recipient: ConsentName
    purposes: tuple[ConsentPurpose, ...] = Field(min_length=1, max_length=3)
    signed_on: date
    expires_on: date | None = None
    # 2.31 allows an event or condition instead of a date; staff record the revocation (or a new
    # consent) when it happens, since the service cannot observe it.
    expires_on_event: ConsentName | None = None
    revoked_on: date | None = None

    @model_validator(mode="after")
    def _complete(self) -> "Part2Consent":
        if self.signed_by is ConsentSigner.REPRESENTATIVE and not self.representative_name:
            raise ValueError(
                "representative_name: required when an authorized representative signed"
            )
        if self.signed_by is ConsentSigner.PATIENT and self.representative_name:
            raise ValueError("representative_name: only when an authorized representative signed")
        if self.expires_on is None and self.expires_on_event is None:
            raise ValueError("expires_on: a consent states an expiry date or event (42 CFR 2.31)")
        if self.expires_on is not None and self.expires_on < self.signed_on:
            raise ValueError("expires_on: must not be before signed_on")
        if self.revoked_on is not None and self.revoked_on < self.signed_on:
            raise ValueError("revoked_on: must not be before signed_on")
        return self


@dataclass(frozen=True)
class ConsentCheck:
    """The consent that permits the disclosure, or why none does (`refusal`, plain words)."""

    consent: Part2Consent | None
    refusal: str = ""


def _us(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def check_consent(
    consents: Sequence[Part2Consent],
    *,
    is_recipient: "RecipientMatch",
    today: date,
    purpose: ConsentPurpose = ConsentPurpose.PAYMENT,
) -> ConsentCheck:
    """A consent naming the recipient that is signed, unexpired, unrevoked and covers `purpose`;
    otherwise the reason the latest consent naming it fails (or that none names it)."""
    named = sorted((c for c in consents if is_recipient(c.recipient)), key=lambda c: c.signed_on)
    refusal = "none on file"
    for consent in named:
        if consent.revoked_on is not None and consent.revoked_on <= today:
            refusal = f"revoked on {_us(consent.revoked_on)}"
        elif consent.expires_on is not None and consent.expires_on < today:
            refusal = f"expired on {_us(consent.expires_on)}"
        elif consent.signed_on > today:
            refusal = f"signed with a future date ({_us(consent.signed_on)})"
        elif purpose not in consent.purposes:
            refusal = f"the consent on file does not cover {purpose.value.replace('_', ' ')}"
        else:
            return ConsentCheck(consent)
    return ConsentCheck(None, refusal)


class RecipientMatch:
    """Whether a consent's recipient names this payer (its id, name or an alias)."""

    def __init__(self, *names: str) -> None:
        self.names = {name.strip().upper() for name in names if name}

    def __call__(self, recipient: str) -> bool:
        return recipient.strip().upper() in self.names


def consent_needed(recipient_name: str, refusal: str) -> str:
    """The message a job ends with when no consent lets it contact the recipient."""
    return (
        f"Part 2 consent needed before contacting {recipient_name}: {refusal}. Record the "
        "patient's consent on the verification (Part 2 consents), then re-run."
    )
