"""What the pages load, served by the app itself (no CDN at run time): the pages' stylesheet and script,
the widget, and /schema's Swagger UI 5 from the swagger-ui-py package (Apache-2.0, its LICENSE served beside
the files), pinned by requirements.lock."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from entrypoints.http.pages.render import ASSET_VERSION, STATIC

SWAGGER = "/swagger-ui"


def _swagger_files() -> Path:
    """The package's static folder, found without importing it (its module imports web frameworks)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed: /schema needs it")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


class OfflineSwagger(OpenAPIRenderPlugin):
    """/schema as Swagger UI from the packaged copy, its start in a script file (no inline script)."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"])

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        spec = self.get_openapi_json_route(request)
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{openapi_schema["info"]["title"]}</title>
<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css">
<script src="{SWAGGER}/swagger-ui-bundle.js" defer></script>
<script src="/static/schema.js?v={ASSET_VERSION}" defer></script>
</head><body><main id="swagger-ui" data-url="{spec}"></main></body></html>""".encode()


@get("/widget.js", include_in_schema=False, opt={"rate_limit": "PUBLIC_CATALOG"})
async def widget() -> Response[bytes]:
    return Response(
        (STATIC / "widget.js").read_bytes(),
        media_type="text/javascript",
        headers={"cache-control": "public, max-age=300"},
    )


def asset_routes() -> list[ControllerRouterHandler]:
    return [
        widget,
        create_static_files_router(
            path=SWAGGER,
            directories=[_swagger_files()],
            name="swagger-ui",
            include_in_schema=False,
        ),
        create_static_files_router(
            path="/static", directories=[STATIC], name="page-assets", include_in_schema=False
        ),
    ]
