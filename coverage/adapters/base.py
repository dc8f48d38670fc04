"""The adapter contract and adapter discovery."""

import logging
from collections.abc import Mapping
from functools import lru_cache
from importlib.metadata import entry_points
from typing import ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse
from coverage.domain.payer import PayerConfig

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "coverage.payer_adapters"


@runtime_checkable
class PayerAdapter(Protocol):
    """Asks one payer about one policy. Raises only PayerTransientError or PayerPermanentError.

    An adapter may declare `settings_model: ClassVar[type[BaseModel]]`; the rule book then checks
    each payer file's `settings:` against it when it loads, so a bad setting is a file:line error.
    """

    name: ClassVar[str]

    def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse: ...


def _builtin() -> dict[str, type[PayerAdapter]]:
    from coverage.adapters.clearinghouse_json import ClearinghouseJsonAdapter
    from coverage.adapters.core_x12 import CoreX12Adapter
    from coverage.adapters.fhir import FhirAdapter
    from coverage.adapters.manual import ManualAdapter
    from coverage.adapters.sandbox import SandboxAdapter

    return {
        SandboxAdapter.name: SandboxAdapter,
        CoreX12Adapter.name: CoreX12Adapter,
        ClearinghouseJsonAdapter.name: ClearinghouseJsonAdapter,
        FhirAdapter.name: FhirAdapter,
        ManualAdapter.name: ManualAdapter,
    }


@lru_cache
def load_adapters() -> Mapping[str, PayerAdapter]:
    """Built-in adapters, plus any a separate package declares; a broken plug-in is logged and skipped."""
    classes = _builtin()
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in classes:
            continue
        try:
            classes[entry.name] = entry.load()
        except Exception as exc:  # a third-party plug-in must never stop the service
            log.error("payer adapter %s could not be loaded: %s", entry.name, type(exc).__name__)
    return {name: cls() for name, cls in classes.items()}


def settings_models() -> dict[str, type[BaseModel] | None]:
    """Each installed adapter's settings model, for the rule book to check payer files against."""
    return {
        name: getattr(adapter, "settings_model", None) for name, adapter in load_adapters().items()
    }
