"""Money is integer fen. Yuan figures from the policies are converted exactly, never via float."""
from __future__ import annotations

from decimal import Decimal

FEN_PER_YUAN = 100


def yuan(amount: int | str | Decimal) -> int:
    """Exact yuan -> fen. Refuses anything finer than a fen."""
    value = Decimal(str(amount)) * FEN_PER_YUAN
    if value != value.to_integral_value():
        raise ValueError(f"{amount} yuan is not a whole number of fen")
    return int(value)


def fen_to_yuan_str(fen: int) -> str:
    return str((Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01")))
