"""The mail adapters without a server: an SMTP refusal kept without the addresses it quotes, SMTP_URL read
as API.md says, and a message's parts (text, HTML, the .ics) as the composer writes them in German."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosmtplib
import pytest

from adapters.mail.composer import TemplateComposer
from adapters.mail.senders import _one_line, mime, parse_smtp_url
from application.mail_ports import Booked, Letter
from domain.notifications import Mail


def test_a_refusal_names_no_customer_address() -> None:
    refused = aiosmtplib.SMTPRecipientsRefused(
        [
            aiosmtplib.SMTPRecipientRefused(
                550, "5.1.1 <jo.doe@example.com>: Recipient address rejected", "jo.doe@example.com"
            )
        ]
    )
    line = _one_line(refused)
    assert "jo.doe@example.com" not in line
    assert "\n" not in line


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://mail.example:2525")
    assert (plain.host, plain.port, plain.implicit_tls, plain.username) == ("mail.example", 2525, False, None)
    tls = parse_smtp_url("smtps://us%40er:p%3Ass@mail.example")
    assert (tls.port, tls.implicit_tls, tls.username, tls.password) == (465, True, "us@er", "p:ss")
    with pytest.raises(ValueError, match="SMTP_URL"):
        parse_smtp_url("http://mail.example")


def test_a_german_confirmation_has_text_html_and_the_booking_attached() -> None:
    booked = Booked(
        "ACM-1",
        "Sauna",
        datetime(2027, 3, 28, 8, tzinfo=UTC),
        datetime(2027, 3, 28, 9, tzinfo=UTC),
        "confirmed",
        1,
        5000,
        "eur",
        "Jö <b>",
        "https://book.example/manage/t",
    )
    letter = Letter(Mail.CONFIRMED, "Spa & Co", "de", "Europe/Berlin", [booked], {}, b"BEGIN:VCALENDAR")
    message = TemplateComposer().compose(
        letter, "bookings@book.example", "jo@example.com", "<mail-1@book.example>"
    )
    assert message.subject == "Spa & Co: Buchung ACM-1 bestätigt"
    assert (
        "Sonntag, 28. März 2027, 10:00 \u2013 11:00 Mitteleuropäische Sommerzeit (Europe/Berlin)"
        in message.text
    )
    assert "50,00\xa0€" in message.text
    assert "Jö &lt;b&gt;" in message.html  # escaped in HTML, never markup
    built = mime(message)
    assert [p.get_content_type() for p in built.walk()][:4] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
    ]
    assert [a.get_filename() for a in built.iter_attachments()] == ["ACM-1.ics"]


def test_a_payment_link_mail_carries_the_link_and_until_when_it_is_open() -> None:
    booked = Booked(
        "ACM-2",
        "Massage",
        datetime(2027, 1, 12, 9, tzinfo=UTC),
        datetime(2027, 1, 12, 10, tzinfo=UTC),
        "confirmed",
        1,
        6000,
        "eur",
        "Phone Caller",
        None,
    )
    payload = {"url": "https://checkout.example/cs_9", "expires_at": "2027-01-10T17:30:00+00:00"}
    letter = Letter(Mail.PAYMENT_LINK, "Spa", "en", "Europe/Berlin", [booked], payload)
    message = TemplateComposer().compose(letter, "bookings@book.example", "p@example.com", "<m@book.example>")
    assert message.subject == "Spa: pay for your booking ACM-2"
    for part in (message.text, message.html):
        assert "https://checkout.example/cs_9" in part
    # 17:30 UTC is 18:30 in Berlin, said in the organisation's zone
    assert "open until Sunday, January 10, 2027, 6:30\u202fPM Central European Standard Time" in message.text
