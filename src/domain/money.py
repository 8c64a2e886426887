"""Money in integer minor units, with ISO 4217 currency exponents."""

from __future__ import annotations

from dataclasses import dataclass

# Currencies whose minor unit is the major unit (Stripe's zero-decimal list).
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())

# ISO 4217 active codes accepted for organisations and prices.
ISO_4217 = frozenset(
    """
    aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd btn bwp byn
    bzd cad cdf chf clp cny cop crc cup cve czk djf dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs
    gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr iqd irr isk jmd jod jpy kes kgs khr kmf kpw krw
    kwd kyd kzt lak lbp lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mru mur mvr mwk mxn myr mzn nad
    ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sdg sek sgd
    shp sle sos srd ssp stn svc syp szl thb tjs tmt tnd top try ttd twd tzs uah ugx usd uyu uzs ves
    vnd vuv wst xaf xcd xof xpf yer zar zmw zwl
    """.split()
)


def is_currency(code: str) -> bool:
    """True for a lowercase ISO 4217 code."""
    return code in ISO_4217


def exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's major unit."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def format_amount(amount: int, currency: str) -> str:
    """Human form of a minor-unit amount, e.g. 2500 eur -> '25.00 EUR', 2500 jpy -> '2500 JPY'."""
    digits = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**digits)
    text = f"{whole}.{frac:0{digits}d}" if digits else str(whole)
    return f"{sign}{text} {currency.upper()}"


def half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative numerators."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("half_up_div takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def bps_of(amount: int, bps: int) -> int:
    """amount x bps / 10000, rounded half up to the minor unit."""
    return half_up_div(amount * bps, 10_000)


def percent_of(amount: int, percent: int) -> int:
    """amount x percent / 100, rounded half up to the minor unit."""
    return half_up_div(amount * percent, 100)


@dataclass(frozen=True)
class Quote:
    """The price of a booking, each part in minor units of one currency."""

    unit_amount: int
    units: int
    subtotal: int
    service_fee: int
    taxes: int
    total: int
    currency: str


def quote_for(unit_amount: int, units: int, currency: str, service_fee_bps: int, tax_bps: int) -> Quote:
    """The quote of API.md section 4: subtotal, fee and tax rounded half up, total their sum."""
    if unit_amount < 0 or units < 0:
        raise ValueError("a quote needs a non-negative price and unit count")
    subtotal = unit_amount * units
    service_fee = bps_of(subtotal, service_fee_bps)
    taxes = bps_of(subtotal, tax_bps)
    return Quote(unit_amount, units, subtotal, service_fee, taxes, subtotal + service_fee + taxes, currency)


def application_fee(total: int, commission_bps: int) -> int:
    """The platform's commission on a charge, rounded half up."""
    return bps_of(total, commission_bps)
