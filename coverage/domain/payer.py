"""A payer directory entry (`payer_rules/payers/*.yaml`)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coverage.domain.eligibility import InsuranceType, Network


class PayerConfig(BaseModel):
    """One payer in `payer_rules/payers/`: which adapter reaches it and how our facility stands with it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["payer"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    name: str = Field(max_length=120)
    type: InsuranceType
    state: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    adapter: str = Field(pattern=r"^[a-z0-9_]+$")
    network_status: Network
    # Our facility may bill this payer's members the charge minus the allowed amount when out of
    # network; never applied in network, to Medicaid or to a QMB.
    balance_billing: bool = False
    hours_per_week_min: float | None = Field(default=None, ge=0)
    hours_per_week_max: float | None = Field(default=None, ge=0)
    settings: dict[str, Any] = Field(default_factory=dict)
    version: str
    source: str
    effective: str | None = None
    status: Literal["verified", "draft"] = "verified"
