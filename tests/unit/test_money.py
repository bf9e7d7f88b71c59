from decimal import Decimal

import pytest

from shared.money import fen_to_yuan_str, yuan


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


@pytest.mark.parametrize("fen, text", [(0, "0.00"), (1, "0.01"), (12_345, "123.45"), (200_000_000, "2000000.00")])
def test_fen_to_yuan_str(fen, text):
    assert fen_to_yuan_str(fen) == text
