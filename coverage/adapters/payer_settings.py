"""What every adapter does with its part of a payer file: `settings:` read into the adapter's
model (a bad one is a permanent error naming the fields, never their values), secrets read from
the environment variables the file names, and payer URLs checked (coverage.adapters.addresses)."""

import os
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from coverage.adapters.addresses import check_url
from coverage.domain.payer import PayerConfig
from coverage.errors import PayerPermanentError

# Checked when the rule book loads (file:line, naming settings.url) and again before each call.
PayerUrl = Annotated[str, AfterValidator(check_url)]


class HttpSettings(BaseModel):
    """Settings every HTTP adapter has; its own model adds the rest (and its read timeout)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: PayerUrl
    connect_timeout: float = Field(default=5.0, gt=0, le=60)


S = TypeVar("S", bound=BaseModel)


def read_settings(model: type[S], payer: PayerConfig, *, adapter: str) -> S:
    try:
        return model.model_validate(payer.settings)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        raise PayerPermanentError(
            f"payer {payer.id}: invalid {adapter} settings ({', '.join(fields)})",
            action=f"An operator must fix the payer file's {adapter} settings.",
        ) from None


def secret(env: str, payer: PayerConfig, *, what: str) -> str:
    """The value of the environment variable a payer file names for a secret."""
    value = os.environ.get(env)
    if not value:
        raise PayerPermanentError(
            f"payer {payer.id}: environment variable {env} is not set",
            action=f"An operator must set {what} in the environment.",
        )
    return value
