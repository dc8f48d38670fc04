"""A payer directory entry (`payer_rules/payers/*.yaml`)."""

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coverage.domain.eligibility import InsuranceType, Network
from coverage.domain.request import Program


class CarveOut(BaseModel):
    """A behavioral-health administrator that manages some of this payer's benefits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    programs: tuple[Program, ...] = Field(min_length=1)
    payer_id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    note: str | None = Field(default=None, max_length=500)
    status: Literal["verified", "draft"] = "verified"


class PayerLimits(BaseModel):
    """How we treat this payer; each unset value falls back to the service-wide setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_concurrent: int | None = Field(default=None, ge=1, le=100)
    failure_threshold: int | None = Field(default=None, ge=1, le=100)
    open_seconds: float | None = Field(default=None, gt=0, le=86400)
    # How long an eligibility answer is reused for the same person and dates; 0: never.
    cache_seconds: float | None = Field(default=None, ge=0, le=31 * 86400)


class PayerConfig(BaseModel):
    """One payer in `payer_rules/payers/`: which adapter reaches it and how our facility stands with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["payer"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    name: str = Field(max_length=120)
    type: InsuranceType
    state: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    adapter: str = Field(pattern=r"^[a-z0-9_]+$")
    # Checked against the adapter's own settings model when the rule book loads.
    settings: dict[str, Any] = Field(default_factory=dict)
    network_status: Network
    # Our facility may bill this payer's members the charge minus the allowed amount when out of
    # network; never applied in network, to Medicaid or to a QMB.
    balance_billing: bool = False
    carve_out_administrators: tuple[CarveOut, ...] = ()
    limits: PayerLimits | None = None
    version: str = Field(min_length=1, max_length=40)
    source: str = Field(min_length=1, max_length=2000)
    effective: date
    status: Literal["verified", "draft"] = "verified"

    def carve_out_for(self, program: Program) -> CarveOut | None:
        return next((c for c in self.carve_out_administrators if program in c.programs), None)
