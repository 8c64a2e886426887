"""Messages written from templates (Jinja2, a text and an HTML part) in the organisation's locale, its
dates, times and money formatted by Babel in its timezone, the zone named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from adapters.mail.catalogue import CATALOGUES
from application.mail_ports import Booked, Letter, Message
from domain.money import exponent

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Shown:
    """One booking's lines as the reader sees them."""

    reference: str
    what: str
    when: str | None
    check_in: str | None
    check_out: str | None
    length: str | None
    quantity: int
    total: str
    customer: str | None
    manage_url: str | None


class Words:
    """One locale's catalogue with Babel's formats, in one timezone."""

    def __init__(self, locale: str, timezone: str) -> None:
        self.locale = locale if locale in CATALOGUES else "en"
        self.tz = ZoneInfo(timezone)
        self.plural = Locale.parse(self.locale).plural_form

    def __call__(self, key: str, **values: Any) -> str:
        return CATALOGUES[self.locale][key].format(**values)

    def count(self, key: str, n: int) -> str:
        form = self.plural(n)
        found = CATALOGUES[self.locale].get(f"{key}.{form}") or CATALOGUES[self.locale][f"{key}.other"]
        return found.format(n=n)

    def money(self, amount: int, currency: str) -> str:
        return format_currency(amount / 10 ** exponent(currency), currency.upper(), locale=self.locale)

    def span(self, start: datetime, end: datetime) -> str:
        """'Sunday, March 29, 2026, 11:00 AM - 12:00 PM Central European Summer Time (Europe/Berlin)'."""
        local_start, local_end = start.astimezone(self.tz), end.astimezone(self.tz)
        day = format_date(local_start.date(), "full", locale=self.locale)
        begins = format_time(local_start, "short", tzinfo=self.tz, locale=self.locale)
        ends = format_time(local_end, "short", tzinfo=self.tz, locale=self.locale)
        if local_end.date() != local_start.date():
            ends = format_date(local_end.date(), "medium", locale=self.locale) + " " + ends
        return f"{day}, {begins} \u2013 {ends} {self.zone_name(local_start)} ({self.tz.key})"

    def moment(self, at: datetime) -> str:
        local = at.astimezone(self.tz)
        day = format_date(local.date(), "full", locale=self.locale)
        time = format_time(local, "short", tzinfo=self.tz, locale=self.locale)
        return f"{day}, {time} {self.zone_name(local)} ({self.tz.key})"

    def zone_name(self, local: datetime) -> str:
        return format_datetime(local, "zzzz", tzinfo=self.tz, locale=self.locale)

    def shown(self, b: Booked) -> Shown:
        stay = b.stay_dates is not None and b.unit in ("night", "day")
        length = None
        if stay and b.stay_dates is not None:
            first, last = b.stay_dates
            length = self.count("nights" if b.unit == "night" else "days", (last - first).days)
        return Shown(
            reference=b.reference,
            what=b.type_name,
            when=None if stay else self.span(b.start, b.end),
            check_in=self.moment(b.start) if stay else None,
            check_out=self.moment(b.end) if stay else None,
            length=length,
            quantity=b.quantity,
            total=self.money(b.total, b.currency),
            customer=b.customer_name,
            manage_url=b.manage_url,
        )


def _until(words: Words, letter: Letter) -> str:
    until = letter.payload.get("expires_at")
    return words.moment(datetime.fromisoformat(until)) if isinstance(until, str) else ""


class TemplateComposer:
    def __init__(self) -> None:
        loader = FileSystemLoader(TEMPLATES)
        self.html = Environment(
            loader=loader, autoescape=select_autoescape(["html"]), undefined=StrictUndefined
        )
        # The text part is plain text, never HTML: nothing to escape.
        self.text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined)  # noqa: S701

    def compose(self, letter: Letter, sender: str, recipient: str, message_id: str) -> Message:
        words = Words(letter.locale, letter.timezone)
        first = letter.bookings[0]
        kind = letter.kind.value
        money = letter.payload.get("amount")
        amount = (
            words.money(int(money), str(letter.payload.get("currency") or first.currency)) if money else ""
        )
        to_customer = not kind.startswith("organisation_")
        context = {
            "t": words,
            "kind": kind,
            "greeting": (
                words("greeting", name=first.customer_name)
                if to_customer and first.customer_name
                else words("greeting.anonymous")
            ),
            "intro": words(
                f"intro.{kind}",
                organisation=letter.organisation_name,
                amount=amount,
                until=_until(words, letter),
            ),
            "pay_url": letter.payload.get("url"),
            "bookings": [words.shown(b) for b in letter.bookings],
            "refund": (
                (words("refund", amount=amount) if money else words("no_refund"))
                if kind == "cancelled"
                else None
            ),
            "show_customer": not to_customer,
            "footer": words("footer", organisation=letter.organisation_name),
        }
        subject = words(f"subject.{kind}", organisation=letter.organisation_name, reference=first.reference)
        attachments = []
        if letter.calendar is not None:
            attachments.append((f"{first.reference}.ics", "text/calendar", letter.calendar))
        return Message(
            sender=sender,
            recipient=recipient,
            subject=subject,
            text=self.text.get_template("message.txt").render(context),
            html=self.html.get_template("message.html").render(context | {"subject": subject}),
            message_id=message_id,
            attachments=attachments,
        )
