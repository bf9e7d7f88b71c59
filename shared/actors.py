"""Canonical actor ids: one person, one id, however a portal spelt it.

A caller's id (the token's `sub`) is normalised when the token is verified: Unicode NFKC (so a
full-width `ＯＦＦＩＣＥＲ` is `OFFICER`), surrounding white space stripped, case-folded. The result
must match `ACTOR_ID` whole (`re.fullmatch`: Python's `$` would let a final newline through), or the
token is refused. `:` is not allowed, so no caller can take a `system:<service>` id.

Separation-of-duties rules compare ids with `same_actor`, which applies the same normal form to
both sides: ids recorded before tokens were normalised (`C1-OFFICER-10`, `officer-1 `) still meet
their canonical spelling. Pure: the domain uses it.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

ACTOR_ID = re.compile(r"[a-z0-9](?:[a-z0-9._@-]{0,126}[a-z0-9])?")


class MalformedActorId(ValueError):
    pass


def normal_form(value: str) -> str:
    """NFKC, stripped, case-folded: how any two ids are compared (lenient: never refuses)."""
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


def canonical_actor_id(value) -> str:
    """The canonical form of a caller's id, or MalformedActorId."""
    if not isinstance(value, str):
        raise MalformedActorId("an actor id is a string")
    canonical = normal_form(value)
    if not ACTOR_ID.fullmatch(canonical):
        raise MalformedActorId("an actor id is 1–128 characters of a–z, 0–9, '.', '_', '@' and '-', starting and "
                               "ending with a letter or digit (case, surrounding space and Unicode width ignored)")
    return canonical


def same_actor(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and normal_form(a) == normal_form(b)


def among(actor: str, actors: Iterable[str]) -> bool:
    """Whether `actor` is one of `actors`, compared in normal form."""
    return any(same_actor(actor, other) for other in actors)
