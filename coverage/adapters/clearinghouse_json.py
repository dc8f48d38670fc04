"""Clearinghouse JSON eligibility (the Stedi legacy / Change Healthcare v3 shape): a JSON request
out, the clearinghouse's JSON rendering of the 271 back, interpreted by the same rules as X12.

Settings come from the payer file (`adapter: clearinghouse_json`); the API key is named by
environment variable, never written there:

    settings:
      url: https://clearinghouse.example.test/change/medicalnetwork/eligibility/v3
      trading_partner_service_id: "60054"   # the payer's id in the clearinghouse's payer list
      provider_name: EXAMPLE IOP CLINIC
      api_key_env: EXAMPLE_CLEARINGHOUSE_API_KEY
"""

import json
import secrets
from decimal import Decimal
from typing import Any, ClassVar

import requests
from pydantic import BaseModel, Field

from coverage.adapters import http
from coverage.adapters.payer_settings import HttpSettings, read_settings, secret
from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse
from coverage.domain.payer import PayerConfig
from coverage.errors import PayerTransientError, RawReply
from coverage.x12.iop_benefit import IopContext, interpret_responses, payer_error
from coverage.x12.json_271 import JsonShapeError, read_json_271
from coverage.x12.reader_271 import Response271

MEDIA_TYPE = "application/json"


class ClearinghouseJsonSettings(HttpSettings):
    trading_partner_service_id: str = Field(min_length=1, max_length=80)
    provider_name: str = Field(min_length=1, max_length=60)
    api_key_env: str | None = None
    api_key_header: str = Field(default="Authorization", min_length=1, max_length=60)
    # The request field for the date of service: the name in public examples is unverified
    # (Stedi API reference, legacy eligibility endpoint), so a payer file can change it after
    # checking the clearinghouse's reference.
    service_date_field: str = Field(default="dateOfService", pattern=r"^[A-Za-z]{1,40}$")
    # CORE 156: a real-time answer within 20 s; the clearinghouse adds its own hop.
    read_timeout: float = Field(default=25.0, gt=0, le=120)
    one_service_type_per_request: bool = True


def settings_for(payer: PayerConfig) -> ClearinghouseJsonSettings:
    return read_settings(ClearinghouseJsonSettings, payer, adapter="clearinghouse_json")


def _headers(settings: ClearinghouseJsonSettings, payer: PayerConfig) -> dict[str, str]:
    headers = {"Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE}
    if settings.api_key_env is not None:
        headers[settings.api_key_header] = secret(
            settings.api_key_env, payer, what="the clearinghouse API key"
        )
    return headers


def control_number(attempt: int) -> str:
    """9 digits, unique enough per request; the last two carry the attempt (the sandbox reads it)."""
    return f"{secrets.randbelow(10**7):07d}{attempt % 100:02d}"


def request_body(
    request: EligibilityRequest, settings: ClearinghouseJsonSettings, service_types: list[str]
) -> dict[str, Any]:
    """The patient is the subscriber with their own member ID, or, covered under the
    subscriber's ID, the one entry of `dependents` (its relationship field is unverified, so it
    is not sent)."""
    patient = {
        "firstName": request.first_name,
        "lastName": request.last_name,
        "dateOfBirth": request.birth_date.strftime("%Y%m%d"),
        "gender": request.sex.value,
    }
    people: dict[str, Any] = {"subscriber": {"memberId": request.member_id, **patient}}
    if request.subscriber is not None:
        holder = request.subscriber
        people = {
            "subscriber": {
                "memberId": request.member_id,
                "firstName": holder.first_name,
                "lastName": holder.last_name,
                "dateOfBirth": holder.birth_date.strftime("%Y%m%d"),
                "gender": holder.sex.value,
            },
            "dependents": [patient],
        }
    return {
        "controlNumber": control_number(request.attempt),
        "tradingPartnerServiceId": settings.trading_partner_service_id,
        "provider": {"organizationName": settings.provider_name, "npi": request.provider_npi},
        **people,
        "encounter": {
            "serviceTypeCodes": service_types,
            settings.service_date_field: request.service_start.strftime("%Y%m%d"),
        },
    }


class ClearinghouseJsonAdapter:
    name: ClassVar[str] = "clearinghouse_json"
    settings_model: ClassVar[type[BaseModel]] = ClearinghouseJsonSettings

    def __init__(self, session: requests.Session | None = None) -> None:
        self._session = session or requests.Session()

    def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse:
        settings = settings_for(payer)
        headers = _headers(settings, payer)
        types = list(request.service_types)
        batches = [[t] for t in types] if settings.one_service_type_per_request else [types]
        context = IopContext.asked(request.service_start, request.service_types)
        responses: list[Response271] = []
        raws: list[str] = []
        for batch in batches:
            raw = self._exchange(request_body(request, settings, batch), settings, headers, payer)
            # The answer that was rejected or could not be read is kept with the call, after the
            # answers to the earlier service types (joined as a full answer is).
            kept = RawReply(payload="\n".join([*raws, raw]), media_type=MEDIA_TYPE)
            with http.replying(kept):
                first = 1 + sum(len(_benefits(r)) for r in responses)
                read = _read(raw, payer, first_number=first)
                # A request-level reject answers every service type: stop after the first call.
                error = payer_error(
                    interpret_responses(read, raw=raw, context=context, media_type=MEDIA_TYPE)
                )
                if error is not None:
                    raise error
            responses += read
            raws.append(raw)
        return interpret_responses(
            responses, raw="\n".join(raws), context=context, media_type=MEDIA_TYPE
        )

    def _exchange(
        self,
        body: dict[str, Any],
        settings: ClearinghouseJsonSettings,
        headers: dict[str, str],
        payer: PayerConfig,
    ) -> str:
        response = http.post(
            self._session,
            settings.url,
            payer=payer.id,
            timeout=(settings.connect_timeout, settings.read_timeout),
            data=json.dumps(body).encode(),
            headers=headers,
        )
        return response.text


def _benefits(response: Response271) -> list[object]:
    return [eb for party in response.members() for eb in party.benefits]


def _read(raw: str, payer: PayerConfig, *, first_number: int) -> list[Response271]:
    try:
        # Amounts sent as JSON numbers must not pass through float.
        return read_json_271(json.loads(raw, parse_float=Decimal), first_number=first_number)
    except (ValueError, JsonShapeError) as exc:
        reason = str(exc) if isinstance(exc, JsonShapeError) else "not JSON"
        raise PayerTransientError(
            f"payer {payer.id} sent an unreadable eligibility response ({reason})",
            action="The payer's answer could not be read; the payer call is retried automatically.",
        ) from None
