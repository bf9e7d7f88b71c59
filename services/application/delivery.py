"""Programme A paper delivery (材料报送): is the bound application as the call requires? Pure domain.

Seed clause 四(三) (000_9e0f4b4d776a3228.txt), after the system audit has passed:
  (2) 装订5份, 无线胶装, “绿色”封皮        (3) 双面打印; 书脊 “单位名称+人才姓名”
  (4) 附件材料目录, between the form and the attachments
  (5) 《申报书》申报人签字、单位负责人签字、加盖单位公章
  (6) 封面加盖公章; 每项附件材料均须单独加盖公章; 整本材料加盖2～3个骑缝章
The figures come from the edition's ``paper_delivery`` section.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from shared.errors import validation_error


@dataclass(frozen=True)
class Delivery:
    """What the officer found on receiving the paper copies."""
    copies: int
    binding: str                 # "perfect" = 无线胶装
    cover_colour: str
    double_sided: bool
    spine_text: str
    has_catalogue: bool          # the attachment catalogue, between the form and the attachments
    signed_by: set[str] = field(default_factory=set)   # e.g. {"applicant", "unit_head"}
    form_sealed: bool = False
    cover_sealed: bool = False
    every_attachment_sealed: bool = False   # first and key pages of each attachment
    perforation_seals: int = 0              # 骑缝章


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str


def _spine_finding(spine: str, unit_name: str, talent_name: str) -> str | None:
    """The spine carries the unit name, then the talent name."""
    at = spine.find(unit_name)
    if at < 0:
        return f"the spine text {spine!r} lacks the unit name {unit_name!r}"
    if talent_name not in spine[at + len(unit_name):]:
        where = "after the unit name" if talent_name in spine else ""
        return f"the spine text {spine!r} lacks the talent name {talent_name!r} {where}".rstrip()
    return None


def check_delivery(policy: dict, delivery: Delivery, unit_name: str, talent_name: str) -> list[Finding]:
    """Every way the delivery departs from 四(三); an empty list means compliant."""
    names = {k: ["must not be empty"] for k, v in (("unit_name", unit_name), ("talent_name", talent_name))
             if not isinstance(v, str) or not v.strip()}
    if names:
        raise validation_error(names)
    rules = policy["paper_delivery"]
    found: list[Finding] = []

    def require(ok: bool, rule: str, message: str) -> None:
        if not ok:
            found.append(Finding(f"A.delivery.{rule}", message))

    require(delivery.copies == rules["copies"], "copies",
            f"{delivery.copies} copies delivered; exactly {rules['copies']} required (四(三)(2))")
    require(delivery.binding == rules["binding"], "binding",
            f"bound {delivery.binding!r}; {rules['binding']!r} (无线胶装) required (四(三)(2))")
    require(delivery.cover_colour.strip().lower() == rules["cover_colour"], "cover_colour",
            f"a {delivery.cover_colour!r} cover; {rules['cover_colour']!r} required (四(三)(2))")
    require(delivery.double_sided or not rules["double_sided"], "double_sided",
            "printed single-sided; double-sided required (四(三)(3))")
    spine = _spine_finding(delivery.spine_text, unit_name.strip(), talent_name.strip())
    require(spine is None, "spine_text", f"{spine}; “单位名称+人才姓名” required (四(三)(3))")
    require(delivery.has_catalogue or not rules["catalogue_between_form_and_attachments"], "catalogue",
            "no attachment catalogue between the form and the attachments (四(三)(4))")
    unsigned = [who for who in rules["form_signed_by"] if who not in delivery.signed_by]
    require(not unsigned, "signed_by", f"the form is not signed by {', '.join(unsigned)} (四(三)(5))")
    require(delivery.form_sealed or not rules["form_sealed"], "form_sealed",
            "the form does not carry the unit's seal (四(三)(5))")
    require(delivery.cover_sealed or not rules["cover_sealed"], "cover_sealed",
            "the cover does not carry the unit's seal (四(三)(6))")
    require(delivery.every_attachment_sealed or not rules["every_attachment_sealed"], "attachments_sealed",
            "not every attachment is sealed on its first and key pages (四(三)(6))")
    low, high = rules["perforation_seals"]["min"], rules["perforation_seals"]["max"]
    require(low <= delivery.perforation_seals <= high, "perforation_seals",
            f"{delivery.perforation_seals} perforation seals (骑缝章); {low} to {high} required (四(三)(6))")
    return found
