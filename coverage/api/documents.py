"""Printable documents: the Good Faith Estimate, whole (API) or as a staff page's content."""

import base64
import hashlib
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from coverage.api.security import CONTENT_SECURITY_POLICY
from coverage.domain.consent import PART2_NOTICE
from coverage.domain.gfe import GoodFaithEstimate
from coverage.domain.money import usd

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
    gfe: GoodFaithEstimate,
    *,
    standalone: bool = True,
    part2: bool = False,
    show_date: Callable[[Any], str] = _iso,
    show_money: Callable[[Any], str] = usd,
) -> str:
    """The whole printable document (the API's), or only its content for a staff page (which
    adds the 42 CFR 2.32 notice itself). A Part 2 job's document carries the notice."""
    template = GFE_DOCUMENT if standalone else "good_faith_estimate_content.html"
    html = (
        _templates()
        .get_template(template)
        .render(
            gfe=gfe,
            show_date=show_date,
            show_money=show_money,
            part2_notice=PART2_NOTICE if part2 else None,
        )
    )
    return html if standalone else Markup(html)  # escaped by the template's autoescape


@cache
def document_csp() -> str:
    """The app's policy plus the hash of the document's own <style>: the document stays one
    self-contained file (saved or printed) and still loads no other inline style or script."""
    env = _templates()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, GFE_DOCUMENT)
    found = re.search(r"<style>(.*?)</style>", source, re.DOTALL)
    assert found, f"{GFE_DOCUMENT} has its styles inline"
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    return CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", f"style-src 'self' 'sha256-{digest}'"
    )
