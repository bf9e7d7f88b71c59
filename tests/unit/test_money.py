from decimal import Decimal

import pytest

from shared.money import fen_to_yuan_str, percent_of, yuan


@pytest.mark.parametrize("amount, fen", [
    (2_000_000, 200_000_000),
    ("300000", 30_000_000),
    ("0.01", 1),
    ("12.30", 1_230),
    (Decimal("99.99"), 9_999),
    (Decimal("1E+2"), 10_000),
    (0, 0),
])
def test_yuan_converts_exactly_to_fen(amount, fen):
    result = yuan(amount)
    assert result == fen
    assert isinstance(result, int)


def test_yuan_is_exact_where_float_arithmetic_is_not():
    assert int(1.13 * 100) == 112           # the float trap the module exists to avoid
    assert yuan("1.13") == 113


@pytest.mark.parametrize("amount", ["0.001", "1.005", Decimal("0.015")])
def test_yuan_refuses_fractions_of_a_fen(amount):
    with pytest.raises(ValueError):
        yuan(amount)


@pytest.mark.parametrize("fen, percent, expected", [
    (10_000, 50, 5_000),
    (1, 50, 1),          # 0.5 fen rounds half-up to 1
    (3, 50, 2),          # 1.5 -> 2
    (5, 10, 1),          # 0.5 -> 1
    (4, 10, 0),          # 0.4 -> 0
    (101, "50", 51),     # 50.5 -> 51
    (333, Decimal("33.3"), 111),   # 110.889 -> 111
    (60_000_000, 50, 30_000_000),
])
def test_percent_of_rounds_half_up_to_the_fen(fen, percent, expected):
    assert percent_of(fen, percent) == expected


@pytest.mark.parametrize("fen, text", [(0, "0.00"), (1, "0.01"), (12_345, "123.45"), (200_000_000, "2000000.00")])
def test_fen_to_yuan_str(fen, text):
    assert fen_to_yuan_str(fen) == text
