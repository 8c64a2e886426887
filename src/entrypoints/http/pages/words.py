"""What the pages say, in the organisation's locale (en, de), with Babel's dates, times and money in its
timezone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, get_day_names, get_month_names
from babel.numbers import format_currency

from domain.money import exponent

CATALOGUES: dict[str, dict[str, str]] = {
    "en": {
        "book": "Book",
        "book_and_pay": "Continue to payment",
        "choose_type": "What would you like to book?",
        "choose_day": "Choose a day",
        "choose_check_in": "Choose your check-in day",
        "choose_check_out": "Now choose your check-out day",
        "choose_first_day": "Choose your first day",
        "choose_last_day": "Now choose your last day",
        "choose_time": "Choose a time",
        "no_times": "No free times on this day.",
        "free": "free",
        "full": "fully booked",
        "previous_month": "Previous month",
        "next_month": "Next month",
        "times_in": "Times are in {zone}.",
        "your_details": "Your details",
        "name": "Name",
        "email": "E-mail",
        "phone": "Phone",
        "quantity": "How many",
        "notes": "Notes (optional)",
        "price": "Price",
        "service_fee": "Service fee",
        "taxes": "Taxes",
        "total": "Total",
        "check_in": "Check-in",
        "check_out": "Check-out",
        "first_day": "First day",
        "last_day": "Last day",
        "when": "When",
        "what": "What",
        "reference": "Reference",
        "status": "Status",
        "change": "Change",
        "start_over": "Start over",
        "booked_title": "You're booked",
        "booked_body": "We have sent a confirmation to your e-mail address.",
        "pending_approval": "Your request was received; {organisation} will confirm it.",
        "manage_link": "Manage your booking",
        "add_to_calendar": "Add to calendar",
        "paid_title": "Payment received: you're booked",
        "processing_title": "Your payment is being processed",
        "processing_body": "This can take a moment. This page shows the outcome once it is known.",
        "check_again": "Check again",
        "failed_title": "The payment did not go through",
        "failed_body": "Your booking is still held for you; you can try again.",
        "try_again": "Try the payment again",
        "expired_title": "This booking is no longer held",
        "expired_body": "The time to pay has passed.",
        "manage_title": "Your booking",
        "cancel": "Cancel the booking",
        "cancel_confirm_title": "Cancel this booking?",
        "cancel_refund": "If you cancel now you get back {amount}.",
        "cancel_no_refund": "If you cancel now, nothing is refunded.",
        "cancel_yes": "Yes, cancel it",
        "cancel_no": "No, keep it",
        "cancelled_title": "Your booking is cancelled",
        "refunded": "Refunded: {amount}.",
        "reschedule": "Change the date or time",
        "reschedule_title": "Choose a new time",
        "rescheduled": "Your booking was moved.",
        "pay_again": "Pay now",
        "refund_now": "A cancellation now refunds {amount}.",
        "policy": "Cancellation policy",
        "not_found_title": "Not found",
        "error_title": "Something went wrong",
        "back_to_booking": "Back to the booking page",
        "form_expired": "This form has expired. Please try again.",
        "nights": "{n} nights",
        "night": "1 night",
        "days": "{n} days",
        "day": "1 day",
        "fix_below": "Please check the fields marked below.",
        "statuses.confirmed": "confirmed",
        "statuses.pending_payment": "awaiting payment",
        "statuses.pending": "awaiting confirmation",
        "statuses.cancelled": "cancelled",
        "statuses.expired": "expired",
        "statuses.completed": "completed",
        "statuses.no_show": "no-show",
        "powered": "Bookings by {organisation}",
    },
    "de": {
        "book": "Buchen",
        "book_and_pay": "Weiter zur Zahlung",
        "choose_type": "Was möchten Sie buchen?",
        "choose_day": "Wählen Sie einen Tag",
        "choose_check_in": "Wählen Sie Ihren Anreisetag",
        "choose_check_out": "Wählen Sie nun Ihren Abreisetag",
        "choose_first_day": "Wählen Sie Ihren ersten Tag",
        "choose_last_day": "Wählen Sie nun Ihren letzten Tag",
        "choose_time": "Wählen Sie eine Uhrzeit",
        "no_times": "An diesem Tag ist nichts mehr frei.",
        "free": "frei",
        "full": "ausgebucht",
        "previous_month": "Voriger Monat",
        "next_month": "Nächster Monat",
        "times_in": "Zeiten in {zone}.",
        "your_details": "Ihre Angaben",
        "name": "Name",
        "email": "E-Mail",
        "phone": "Telefon",
        "quantity": "Anzahl",
        "notes": "Anmerkungen (optional)",
        "price": "Preis",
        "service_fee": "Servicegebühr",
        "taxes": "Steuern",
        "total": "Gesamt",
        "check_in": "Anreise",
        "check_out": "Abreise",
        "first_day": "Erster Tag",
        "last_day": "Letzter Tag",
        "when": "Wann",
        "what": "Was",
        "reference": "Buchungsnummer",
        "status": "Status",
        "change": "Ändern",
        "start_over": "Neu beginnen",
        "booked_title": "Ihre Buchung steht",
        "booked_body": "Wir haben Ihnen eine Bestätigung per E-Mail geschickt.",
        "pending_approval": "Ihre Anfrage ist eingegangen; {organisation} bestätigt sie.",
        "manage_link": "Buchung verwalten",
        "add_to_calendar": "Zum Kalender hinzufügen",
        "paid_title": "Zahlung erhalten: Ihre Buchung steht",
        "processing_title": "Ihre Zahlung wird bearbeitet",
        "processing_body": (
            "Das kann einen Moment dauern. Diese Seite zeigt das Ergebnis, sobald es feststeht."
        ),
        "check_again": "Erneut prüfen",
        "failed_title": "Die Zahlung ist nicht durchgegangen",
        "failed_body": "Ihre Buchung bleibt für Sie reserviert; Sie können es erneut versuchen.",
        "try_again": "Zahlung erneut versuchen",
        "expired_title": "Diese Buchung ist nicht mehr reserviert",
        "expired_body": "Die Zeit zum Bezahlen ist abgelaufen.",
        "manage_title": "Ihre Buchung",
        "cancel": "Buchung stornieren",
        "cancel_confirm_title": "Diese Buchung stornieren?",
        "cancel_refund": "Wenn Sie jetzt stornieren, erhalten Sie {amount} zurück.",
        "cancel_no_refund": "Wenn Sie jetzt stornieren, wird nichts erstattet.",
        "cancel_yes": "Ja, stornieren",
        "cancel_no": "Nein, behalten",
        "cancelled_title": "Ihre Buchung ist storniert",
        "refunded": "Erstattet: {amount}.",
        "reschedule": "Datum oder Uhrzeit ändern",
        "reschedule_title": "Wählen Sie eine neue Zeit",
        "rescheduled": "Ihre Buchung wurde verschoben.",
        "pay_again": "Jetzt bezahlen",
        "refund_now": "Eine Stornierung jetzt erstattet {amount}.",
        "policy": "Stornobedingungen",
        "not_found_title": "Nicht gefunden",
        "error_title": "Etwas ist schiefgegangen",
        "back_to_booking": "Zurück zur Buchungsseite",
        "form_expired": "Dieses Formular ist abgelaufen. Bitte versuchen Sie es erneut.",
        "nights": "{n} Nächte",
        "night": "1 Nacht",
        "days": "{n} Tage",
        "day": "1 Tag",
        "fix_below": "Bitte prüfen Sie die markierten Felder.",
        "statuses.confirmed": "bestätigt",
        "statuses.pending_payment": "wartet auf Zahlung",
        "statuses.pending": "wartet auf Bestätigung",
        "statuses.cancelled": "storniert",
        "statuses.expired": "abgelaufen",
        "statuses.completed": "abgeschlossen",
        "statuses.no_show": "nicht erschienen",
        "powered": "Buchungen bei {organisation}",
    },
}


class PageWords:
    """One page's language and zone: `t("key", **values)` and Babel's formats."""

    def __init__(self, locale: str, timezone: str) -> None:
        self.locale = locale if locale in CATALOGUES else "en"
        self.tz = ZoneInfo(timezone)

    def __call__(self, key: str, **values: Any) -> str:
        return CATALOGUES[self.locale].get(key, CATALOGUES["en"][key]).format(**values)

    def money(self, amount: int, currency: str) -> str:
        return format_currency(amount / 10 ** exponent(currency), currency.upper(), locale=self.locale)

    def day(self, value: date) -> str:
        return format_date(value, "full", locale=self.locale)

    def time(self, at: datetime) -> str:
        return format_time(at.astimezone(self.tz), "short", tzinfo=self.tz, locale=self.locale)

    def span(self, start: datetime, end: datetime) -> str:
        local = start.astimezone(self.tz)
        return f"{self.day(local.date())}, {self.time(start)} \u2013 {self.time(end)}"

    def month(self, first: date) -> str:
        return format_date(first, "LLLL yyyy", locale=self.locale)

    def weekdays(self) -> list[str]:
        """Monday first, abbreviated."""
        names = get_day_names("abbreviated", locale=self.locale)
        return [names[i] for i in range(7)]

    def month_name(self, number: int) -> str:
        return str(get_month_names("wide", locale=self.locale)[number])

    def zone(self, at: datetime) -> str:
        local = at.astimezone(self.tz)
        return f"{format_datetime(local, 'zzzz', tzinfo=self.tz, locale=self.locale)} ({self.tz.key})"

    def length(self, unit: str, n: int) -> str:
        if unit == "night":
            return self("night") if n == 1 else self("nights", n=n)
        return self("day") if n == 1 else self("days", n=n)
