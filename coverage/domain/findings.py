"""One line of a result's findings, as staff screens list them (built by coverage.rules.assessment)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    status: Literal["met", "not_met", "unknown"]
    reason: str
    source: str = ""
