"""/api/verifications/{id}/good-faith-estimate: the stored GFE as printable HTML or as JSON."""

import base64
import hashlib
import re
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from coverage.api import reads
from coverage.api.deps import Reader, SessionDep
from coverage.domain.money import usd
from coverage.errors import NotFoundError

router = APIRouter(prefix="/api/verifications", tags=["estimates"])
GFE_DOCUMENT = "good_faith_estimate.html"


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("coverage.api", "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )


def _iso(value: Any) -> str:
    return str(value)


def render_gfe(
    gfe: dict[str, Any],
    *,
    standalone: bool = True,
    show_date: Callable[[Any], str] = _iso,
    show_money: Callable[[Any], str] = usd,
) -> str:
    """The whole printable document (the API's), or only its content for a staff page."""
    template = GFE_DOCUMENT if standalone else "good_faith_estimate_content.html"
    html = (
        _templates()
        .get_template(template)
        .render(gfe=gfe, show_date=show_date, show_money=show_money)
    )
    return html if standalone else Markup(html)  # escaped by the template's autoescape


@cache
def document_csp() -> str:
    """The app's policy plus the hash of the document's own <style>: the document stays one
    self-contained file (saved or printed) and still loads no other inline style or script."""
    from coverage.api.web import CONTENT_SECURITY_POLICY  # the web package imports this module

    env = _templates()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, GFE_DOCUMENT)
    found = re.search(r"<style>(.*?)</style>", source, re.DOTALL)
    assert found, f"{GFE_DOCUMENT} has its styles inline"
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    return CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' 'sha256-{digest}'"
    )


@router.get(
    "/{job_id}/good-faith-estimate",
    response_class=HTMLResponse,
    response_model=None,
    responses={200: {"content": {"application/json": {}}}, 404: {}},
)
def read_good_faith_estimate(
    job_id: uuid.UUID,
    actor: Reader,
    session: SessionDep,
    format: Literal["html", "json"] = "html",
) -> Response:
    """HTML by default (print it to PDF from the browser); `?format=json` for the stored JSON."""
    detail = reads.job_detail(session, job_id=job_id, actor=actor)  # visibility and audit
    gfe = (detail.result or {}).get("good_faith_estimate")
    if not gfe:
        raise NotFoundError(
            f"verification {job_id} has no Good Faith Estimate "
            "(only uninsured or self-pay enrollees get one)"
        )
    if format == "json":
        return JSONResponse(gfe)
    return HTMLResponse(render_gfe(gfe), headers={"Content-Security-Policy": document_csp()})
