"""Structured JSON logs, one object per line, each with the id of the request it belongs to."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Loggers whose own messages would name request paths with tokens, or are noise at INFO.
QUIET = {"stripe": logging.WARNING, "uvicorn.access": logging.WARNING, "httpx": logging.WARNING}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


# What a database error's text may carry of customers: bound parameters, DETAIL lines with key values
# ("Key (email)=(jo@example.com) already exists") and the values themselves.
_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL)
_DETAIL = re.compile(r"DETAIL:.*")
_EMAIL = re.compile(r"[^\s@'\"()<>,;]+@[^\s@'\"()<>,;]+\.[A-Za-z]{2,}")


def scrub(text: str) -> str:
    """An exception's text with parameters, DETAIL lines and e-mail addresses taken out."""
    text = _PARAMETERS.sub("[parameters hidden]", text)
    text = _DETAIL.sub("DETAIL: (hidden)", text)
    return _EMAIL.sub("(e-mail hidden)", text)


def configure(level: str = "INFO") -> None:
    """JSON lines on stdout for every logger, uvicorn's included."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(quiet)
