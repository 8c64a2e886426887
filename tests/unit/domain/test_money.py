from hypothesis import given
from hypothesis import strategies as st

from domain.money import application_fee, bps_of, exponent, format_amount, percent_of, quote_for


def test_currency_exponents() -> None:
    assert exponent("eur") == 2
    assert exponent("jpy") == 0
    assert exponent("kwd") == 3
    assert format_amount(2500, "eur") == "25.00 EUR"
    assert format_amount(2500, "jpy") == "2500 JPY"
    assert format_amount(1005, "kwd") == "1.005 KWD"


def test_basis_points_round_half_up() -> None:
    assert bps_of(250, 1000) == 25
    assert bps_of(5, 1000) == 1  # 0.5 rounds up
    assert bps_of(4, 1000) == 0  # 0.4 rounds down
    assert bps_of(15, 5000) == 8  # 7.5 rounds up
    assert percent_of(3, 50) == 2  # 1.5 rounds up
    assert application_fee(2750, 1000) == 275


def test_quote_of_the_contract() -> None:
    q = quote_for(2500, 3, "eur", service_fee_bps=250, tax_bps=1900)
    assert (q.subtotal, q.service_fee, q.taxes, q.total) == (7500, 188, 1425, 9113)
    jpy = quote_for(1999, 1, "jpy", service_fee_bps=333, tax_bps=1000)
    assert (jpy.service_fee, jpy.taxes, jpy.total) == (67, 200, 2266)


@given(
    unit=st.integers(0, 10**7),
    units=st.integers(0, 500),
    fee=st.integers(0, 10_000),
    tax=st.integers(0, 10_000),
)
def test_quote_total_is_the_sum_of_its_parts(unit: int, units: int, fee: int, tax: int) -> None:
    q = quote_for(unit, units, "eur", fee, tax)
    assert q.subtotal == unit * units
    assert q.total == q.subtotal + q.service_fee + q.taxes
    # half up: never more than half a minor unit away from the exact value
    assert abs(q.service_fee * 10_000 - q.subtotal * fee) <= 5_000
    assert abs(q.taxes * 10_000 - q.subtotal * tax) <= 5_000
