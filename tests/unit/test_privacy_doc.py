"""docs/privacy.md repeats the personal-data inventory exactly: one row per personal event."""
from pathlib import Path

from shared.privacy.inventory import INVENTORY

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"


def rows() -> set[str]:
    return {line.strip() for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")}


def test_every_personal_event_has_its_row_and_no_other_row_claims_one():
    expected = {f"| {e.service} | `{e.event}` | {', '.join(f'`{f}`' for f in e.fields)} | {e.person} | {e.retention} |"
                for e in INVENTORY}
    listed = {row for row in rows() if row.count("`") and row.split("|")[1].strip() in
              ("registration", "application", "review", "funding")}
    assert listed == expected
