"""The ASGI factory the server processes import: settings from the environment, read when called."""

from __future__ import annotations

from litestar import Litestar

from entrypoints.app import create_app
from entrypoints.logs import configure
from entrypoints.settings import from_env


def app_from_env() -> Litestar:
    settings = from_env()
    configure(settings.log_level)
    return create_app(settings)
