"""The ASGI factory the server processes import: settings from the environment, read when called."""

from __future__ import annotations

from litestar import Litestar

from entrypoints.app import create_app
from entrypoints.settings import from_env


def app_from_env() -> Litestar:
    return create_app(from_env())
