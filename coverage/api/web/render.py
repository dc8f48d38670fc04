"""Jinja2 pages: US formats for staff (MM/DD/YYYY, $1,234.56), ISO stays in the API."""

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from coverage.api.web.auth import CSRF_FIELD, WebUser
from coverage.api.web.navigation import ROLE_NAMES, navigation, status_text
from coverage.domain.money import usd
from coverage.settings import get_settings


def money(value: Any) -> str:
    """$1,234.56 (two decimals, half-up); blank for a missing amount."""
    if value is None or value == "":
        return ""
    try:
        return usd(str(value))
    except InvalidOperation:
        return str(value)


def us_date(value: Any) -> str:
    """MM/DD/YYYY; a timestamp also gets its time in the display zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        local = moment.astimezone(ZoneInfo(get_settings().display_timezone))
        return local.strftime("%m/%d/%Y %I:%M %p %Z")
    if isinstance(value, date):
        return value.strftime("%m/%d/%Y")
    return str(value)


def day_start(day: date) -> datetime:
    """Midnight of a day as staff see it (display zone), in UTC as times are stored (SQLite
    compares stored times as text, without their zone)."""
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(get_settings().display_timezone))
    return local.astimezone(UTC)


def percent(value: Any) -> str:
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)).normalize():f} %"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("coverage.api", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, us_date=us_date, percent=percent)
    env.globals.update(status_text=status_text, csrf_field=CSRF_FIELD)
    return env


@cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(env=environment())


def page(
    request: Request,
    template: str,
    user: WebUser | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A full page: the signed-in user's navigation, CSRF token and the template's context."""
    response = templates().TemplateResponse(
        request,
        template,
        {
            "user": user,
            "nav": navigation(user.role) if user else [],
            "role_name": ROLE_NAMES.get(user.role, user.role.value) if user else "",
            "current_path": request.url.path,
            "facility_name": get_settings().facility_name,
            **context,
        },
        status_code=status_code,
    )
    # Pages may show PHI: never kept by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response
