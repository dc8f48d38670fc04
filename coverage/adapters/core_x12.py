"""CAQH CORE real-time X12 over HTTP MIME multipart or SOAP (`transport`): a 270 out, a 271
back, normalized.

Settings come from the payer file (`settings:` of a `payer_rules/payers/*.yaml` entry with
`adapter: core_x12`); secrets are named by environment variable, never written there:

    settings:
      url: https://core.example-payer.test/realtime
      payer_x12_id: "99999"          # NM109 of the payer (their payer ID)
      payer_name: EXAMPLE HEALTH PLAN
      provider_name: EXAMPLE IOP CLINIC
      sender_id: EXAMPLEIOP          # ISA06 / CORE SenderID agreed with the payer
      receiver_id: EXAMPLEPAYER
      username_env: EXAMPLE_PAYER_CORE_USER
      password_env: EXAMPLE_PAYER_CORE_PASSWORD
"""

import secrets
from datetime import datetime
from typing import ClassVar, Literal

import requests
from pydantic import BaseModel, Field

from coverage.adapters import http
from coverage.adapters.payer_settings import HttpSettings, read_settings, secret
from coverage.domain.eligibility import EligibilityRequest, EligibilityResponse
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Relationship
from coverage.errors import PayerPermanentError, PayerTransientError, RawReply
from coverage.x12 import core_mime, core_soap
from coverage.x12.errors import X12ParseError
from coverage.x12.iop_benefit import MEDIA_TYPE, IopContext, interpret_271, payer_error
from coverage.x12.reader_271 import Interchange271, read_271
from coverage.x12.writer_270 import (
    Envelope270,
    Inquiry270,
    Person270,
    one_per_service_type,
    write_270,
)


class CoreX12Settings(HttpSettings):
    payer_x12_id: str = Field(min_length=1, max_length=80)
    payer_name: str = Field(min_length=1, max_length=60)
    provider_name: str = Field(min_length=1, max_length=60)
    sender_id: str = Field(min_length=1, max_length=15)
    receiver_id: str = Field(min_length=1, max_length=15)
    trace_originator: str = Field(default="9000000000", min_length=10, max_length=10)
    username_env: str | None = None
    password_env: str | None = None
    # CORE 156: a real-time 271 within 20 s; wait just past that.
    read_timeout: float = Field(default=21.0, gt=0, le=120)
    one_service_type_per_request: bool = True
    usage: Literal["P", "T"] = "P"
    # CORE connectivity: a server offers both envelopes, a client may use either.
    transport: Literal["mime", "soap"] = "mime"
    # The circuit breaker and concurrency cap are the pipeline's (coverage/adapters/guard.py), set
    # by the payer file's `limits`, for every adapter alike.


def _settings(payer: PayerConfig) -> CoreX12Settings:
    return read_settings(CoreX12Settings, payer, adapter="core_x12")


def _credentials(settings: CoreX12Settings, payer: PayerConfig) -> dict[str, str]:
    fields = {}
    for field, env in (("UserName", settings.username_env), ("Password", settings.password_env)):
        if env is None:
            continue
        fields[field] = secret(env, payer, what="the payer's credentials")
    return fields


# X12 INS02 for a patient in the dependent loop (ASC X12 005010X279A1 2000D, pyx12 270 map).
_INS02 = {Relationship.SPOUSE: "01", Relationship.CHILD: "19", Relationship.OTHER: "34"}


def inquiry_for(request: EligibilityRequest, settings: CoreX12Settings) -> Inquiry270:
    """A patient with a member ID of their own goes in the subscriber loop (even a dependent:
    Stedi API reference, batch eligibility item description); one covered under the
    subscriber's ID goes in the dependent loop, with no ID, below the subscriber."""
    patient = Person270(
        last_name=request.last_name,
        first_name=request.first_name,
        member_id="" if request.subscriber else request.member_id,
        birth_date=request.birth_date,
        gender=request.sex.value,
    )
    subscriber = patient
    if request.subscriber is not None:
        subscriber = Person270(
            last_name=request.subscriber.last_name,
            first_name=request.subscriber.first_name,
            member_id=request.member_id,
            birth_date=request.subscriber.birth_date,
            gender=request.subscriber.sex.value,
        )
    return Inquiry270(
        payer_name=settings.payer_name,
        payer_id=settings.payer_x12_id,
        provider_name=settings.provider_name,
        provider_id=request.provider_npi,
        subscriber=subscriber,
        dependent=patient if request.subscriber else None,
        dependent_relationship=_INS02.get(request.relationship, "") if request.subscriber else "",
        reference=request.trace_number[:30],
        trace_number=request.trace_number,
        trace_originator=settings.trace_originator,
        service_date=request.service_start,
        service_end=request.service_end,
        service_types=request.service_types,
    )


class CoreX12Adapter:
    name: ClassVar[str] = "core_x12"
    settings_model: ClassVar[type[BaseModel]] = CoreX12Settings  # checked when the book loads

    def __init__(self, session: requests.Session | None = None) -> None:
        self._session = session or requests.Session()

    def check(self, request: EligibilityRequest, *, payer: PayerConfig) -> EligibilityResponse:
        settings = _settings(payer)
        credentials = _credentials(settings, payer)
        inquiry = inquiry_for(request, settings)
        inquiries = (
            one_per_service_type(inquiry) if settings.one_service_type_per_request else [inquiry]
        )
        context = IopContext.asked(request.service_start, request.service_types)
        readings: list[Interchange271] = []
        raws: list[str] = []
        for one in inquiries:
            raw = self._exchange(one, settings, credentials, payer)
            # The 271 that was rejected or could not be read is kept with the call, after the
            # answers to the earlier service types (joined as a full answer is).
            kept = RawReply(payload="\n".join([*raws, raw]), media_type=MEDIA_TYPE)
            with http.replying(kept):
                reading = _read(raw, payer)
                # A request-level reject answers every service type: stop after the first call.
                error = payer_error(interpret_271(reading, raw=raw, context=context))
                if error is not None:
                    raise error
            readings.append(reading)
            raws.append(raw)
        merged = Interchange271(readings[0].interchange, [r for x in readings for r in x.responses])
        return interpret_271(merged, raw="\n".join(raws), context=context)

    def _exchange(
        self,
        inquiry: Inquiry270,
        settings: CoreX12Settings,
        credentials: dict[str, str],
        payer: PayerConfig,
    ) -> str:
        text = write_270(
            inquiry,
            Envelope270(
                sender_id=settings.sender_id,
                receiver_id=settings.receiver_id,
                interchange_control_number=secrets.randbelow(999_999_999) + 1,
                created=datetime.now(),
                usage=settings.usage,
            ),
        )
        fields = core_mime.envelope(
            payload_type=core_mime.REQUEST_270,
            payload=text,
            sender_id=settings.sender_id,
            receiver_id=settings.receiver_id,
        )
        fields.update(credentials)
        timeout = (settings.connect_timeout, settings.read_timeout)
        if settings.transport == "soap":
            body, content_type = core_soap.encode(fields, element=core_soap.REQUEST)
            response = http.post(
                self._session,
                settings.url,
                payer=payer.id,
                timeout=timeout,
                data=body,
                headers={"Content-Type": content_type},
            )
        else:
            response = http.post(
                self._session,
                settings.url,
                payer=payer.id,
                timeout=timeout,
                files={name: (None, value) for name, value in fields.items()},
            )
        # A refused or unreadable envelope is kept whole, as it came.
        with http.replying(http.reply_of(response)):
            return _payload(response, settings, payer)


def _payload(response: requests.Response, settings: CoreX12Settings, payer: PayerConfig) -> str:
    """The 271 inside the CORE envelope."""
    try:
        reply = _decode(response, settings)
    except ValueError:
        raise PayerTransientError(
            f"payer {payer.id} sent an unreadable CORE envelope",
            action="The payer's answer could not be read; the payer call is retried automatically.",
        ) from None
    if reply.get("ErrorCode", core_mime.SUCCESS) != core_mime.SUCCESS:
        code = reply.get("ErrorCode", "")[:40]
        raise PayerPermanentError(
            f"payer {payer.id} refused the CORE envelope: {code}",
            action="The payer refused our CORE envelope: an operator must check the payer file.",
        )
    if reply.get("PayloadType") != core_mime.RESPONSE_271 or not reply.get("Payload"):
        raise PayerTransientError(
            f"payer {payer.id} answered without a 271",
            action="The payer's answer had no eligibility response; the payer call is retried automatically.",
        )
    return reply["Payload"]


def _decode(response: requests.Response, settings: CoreX12Settings) -> dict[str, str]:
    content_type = response.headers.get("Content-Type", "")
    if settings.transport == "soap":
        return core_soap.decode(response.content, content_type, element=core_soap.RESPONSE)
    return core_mime.decode(response.content, content_type)


def _read(raw: str, payer: PayerConfig) -> Interchange271:
    try:
        return read_271(raw)
    except X12ParseError as exc:
        raise PayerTransientError(
            f"payer {payer.id} sent a malformed 271 ({exc})",
            action="The payer's answer could not be read; the payer call is retried automatically.",
        ) from None
