"""A payer directory entry (`payer_rules/payers/*.yaml`)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coverage.domain.eligibility import InsuranceType, Network


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
    network_status: Network
    hours_per_week_min: float | None = Field(default=None, ge=0)
    hours_per_week_max: float | None = Field(default=None, ge=0)
    settings: dict[str, Any] = Field(default_factory=dict)
    limits: PayerLimits | None = None
    version: str
    source: str
    effective: str | None = None
    status: Literal["verified", "draft"] = "verified"
