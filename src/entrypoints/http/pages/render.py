"""Rendering the pages: the template, the words of the organisation's locale, and errors as pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from domain.errors import DomainError, InvalidInput
from entrypoints.http.errors import TABLE
from entrypoints.http.pages.words import PageWords

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
ASSET_VERSION = "1"  # bumped with the page assets, so browsers fetch them anew

template_config = TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine)


def page(name: str, language: PageWords, status: int = 200, **context: Any) -> Template:
    return Template(
        template_name=name,
        context={"t": language, "locale": language.locale, "v": ASSET_VERSION, **context},
        status_code=status,
        media_type="text/html",
        headers={"cache-control": "no-store"},
    )


def status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in TABLE:
            return TABLE[cls][0]
    return 500


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A page, not JSON, for what goes wrong on a page: in English, as nothing else is known yet."""
    words = PageWords("en", "UTC")
    if isinstance(exc, DomainError):
        status, detail = status_of(exc), exc.detail
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, "That address or form is not valid."
    else:  # pragma: no cover - the app's own handler logs and answers 500
        raise exc
    title = words("not_found_title") if status == 404 else words("error_title")
    return page("error.html", words, status, title=title, detail=detail, organisation=None)


def field_errors(exc: InvalidInput, fields: dict[str, str]) -> dict[str, str]:
    """The message beside the form field the API's field name stands for; `_` for the rest."""
    name = fields.get(exc.field or "", "_")
    return {name: exc.detail}
