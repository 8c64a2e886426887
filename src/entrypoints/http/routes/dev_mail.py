"""`/dev/mail`: the messages development wrote to ./.booking/mail/ instead of sending them (never in
production, nor when SMTP_URL is set)."""

from __future__ import annotations

import email
import email.policy
import html
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import Parameter

from entrypoints.composition import Runtime

Name = Annotated[str, Parameter(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9.@-]+\.eml$")]
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui;max-width:56rem;margin:2rem auto;padding:0 1rem}}
td,th{{text-align:left;padding:4px 12px 4px 0;vertical-align:top}}pre{{white-space:pre-wrap}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


def _folder(state: State) -> Path:
    runtime: Runtime = state.runtime
    return Path(runtime.settings.mail_folder)


def _read(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _page(title: str, body: str, status: int = 200) -> Response[str]:
    return Response(
        PAGE.format(title=html.escape(title), body=body), media_type="text/html", status_code=status
    )


class DevMailController(Controller):
    path = "/dev/mail"
    include_in_schema = False

    @get("/")
    async def inbox(self, state: State) -> Response[str]:
        folder = _folder(state)
        files = sorted(folder.glob("*.eml"), reverse=True) if folder.is_dir() else []
        rows = []
        for path in files[:500]:
            message = _read(path)
            link = f"/dev/mail/{html.escape(path.name)}"
            rows.append(
                f"<tr><td>{html.escape(str(message['Date']))}</td><td>{html.escape(str(message['To']))}</td>"
                f'<td><a href="{link}">{html.escape(str(message["Subject"]))}</a></td></tr>'
            )
        table = "<table><tr><th>Date</th><th>To</th><th>Subject</th></tr>" + "".join(rows) + "</table>"
        return _page(f"Mail written in development ({len(files)})", table if rows else "<p>No mail yet.</p>")

    @get("/{name:str}")
    async def message(self, name: Name, state: State) -> Response[str]:
        path = _folder(state) / name
        if not re.fullmatch(r"[A-Za-z0-9.@-]+\.eml", name) or not path.is_file():
            return _page("No such message", "<p>No such message.</p>", 404)
        message = _read(path)
        text = message.get_body(("plain",))
        files = ", ".join(part.get_filename() or "" for part in message.iter_attachments()) or "none"
        content = text.get_content() if text else ""
        body = (
            "<table>"
            + "".join(
                f"<tr><th>{h}</th><td>{html.escape(str(message[h]))}</td></tr>"
                for h in ("From", "To", "Subject", "Date", "Message-ID")
            )
            + f"<tr><th>Attachments</th><td>{html.escape(files)}</td></tr>"
            + "</table>"
            + f"<pre>{html.escape(content)}</pre>"
        )
        return _page(str(message["Subject"]), body)
