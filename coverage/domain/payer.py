"""A payer directory entry (`payer_rules/payers/*.yaml`)."""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

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
    # `none`: our facility has no contract and no fee schedule gives this payer an allowed
    # amount; out of network only, and the estimate takes the facility's charge as allowed.
    contract: Literal["contracted", "none"] = "contracted"
    # Our facility may bill this payer's members the charge minus the allowed amount when out of
    # network; never applied in network, to Medicaid or to a QMB.
    balance_billing: bool = False
    # The payer answers mental health and substance use benefits separately (different cost
    # sharing, or one carved out): every program asks both, and the one billed prices.
    splits_mental_health_and_substance_use: StrictBool = False
    carve_out_administrators: tuple[CarveOut, ...] = ()
    # Names and payer IDs other payers' responses use for this one (271 2120C NM103 / NM109),
    # so a carve-out they name is matched to this file.
    aliases: tuple[Annotated[str, Field(min_length=1, max_length=80)], ...] = Field(
        default=(), max_length=10
    )
    limits: PayerLimits | None = None
    version: str = Field(min_length=1, max_length=40)
    source: str = Field(min_length=1, max_length=2000)
    effective: date
    status: Literal["verified", "draft"] = "verified"

    @model_validator(mode="after")
    def _no_contract_is_out_of_network(self) -> "PayerConfig":
        if self.contract == "none" and self.network_status is not Network.OUT:
            raise ValueError("contract: none needs network_status: out_of_network")
        return self

    def known_as(self, name: str | None, payer_id: str | None) -> bool:
        known = {a.upper() for a in (*self.aliases, self.name, self.id)}
        return bool((payer_id and payer_id.upper() in known) or (name and name.upper() in known))

    def carve_out_for(self, program: Program) -> CarveOut | None:
        return next((c for c in self.carve_out_administrators if program in c.programs), None)
