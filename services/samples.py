"""One realistic programme A case as a portal backend would send it: the demo drives it, and
the tests walk it. Figures follow the 2024 call (shared/policy/changju-2024.yaml)."""
from __future__ import annotations

import hashlib

UNIT_NAME = "北京昌平示范制药有限公司"
TALENT_NAME = "王晓明"
CONTACT = {"name": "张三", "phone": "13800000000", "id_number": "110101199001011234"}

UNIT_MATERIALS = ("business_licence", "contact_id", "tax_certificate_2023")
CASE_MATERIALS = ("audit_reports_2021_2023", "unit_integrity_statement", "application_commitment",
                  "identity_document", "work_contract", "social_insurance_record", "criterion_evidence",
                  "income_tax_2022_2023", "personal_integrity_statement")


def document(code: str, content: str | None = None) -> dict:
    """A reference to a scanned document in the document store: its hash, size, type and where it is."""
    body = (content or f"scan of {code}").encode()
    digest = hashlib.sha256(body).hexdigest()
    return {"code": code, "sha256": digest, "size_bytes": 180_000 + len(body), "media_type": "application/pdf",
            "storage_uri": f"s3://changping-materials/{digest[:2]}/{digest}.pdf"}


def unit_registration(credit_code: str, unit_type: str = "enterprise") -> dict:
    return {"name": UNIT_NAME, "credit_code": credit_code, "unit_type": unit_type, "industry": "medicine_health",
            "registered_in_changping": True, "contact": dict(CONTACT),
            "materials": [document(code) for code in UNIT_MATERIALS]}


def talent(**overrides) -> dict:
    return {"name": TALENT_NAME, "birth_date": "1972-03-15", "has_contract": True, "months_worked_per_year": 11,
            "field_fits_changping": True, "commits_years": 3, **overrides}


def claims() -> list[dict]:
    """Criterion 1: a national S&T progress first prize in 2022, ranked third of the winners."""
    return [{"criterion": "1", "prize_level": "national_first", "rank": 3, "achieved_on": "2022-11-03"}]


def case_documents() -> list[dict]:
    return [document(code) for code in CASE_MATERIALS]


def paper_delivery(**overrides) -> dict:
    """Five green, perfect-bound, sealed copies as 四(三) requires."""
    return {"copies": 5, "binding": "perfect", "cover_colour": "green", "double_sided": True,
            "spine_text": f"{UNIT_NAME} {TALENT_NAME}", "has_catalogue": True, "signed_by": ["applicant", "unit_head"],
            "form_sealed": True, "cover_sealed": True, "every_attachment_sealed": True, "perforation_seals": 3,
            **overrides}


# -- programme B (科技副总) ---------------------------------------------------------------------
COMPANY_NAME = "北京昌平智造科技有限公司"
EXPERT_NAME = "李明远"


def company_registration(credit_code: str) -> dict:
    """A Changping technology company (昌平区科技型企业), registered as a unit."""
    return {**unit_registration(credit_code), "name": COMPANY_NAME, "industry": "advanced_manufacturing",
            "technology_company": True}


def expert_recommendation(id_number: str, **overrides) -> dict:
    """The recommendation form (推荐情况表) of a key university for one of its professors."""
    return {"institution_name": "北京航空航天大学", "institution_kind": "key_university", "name": EXPERT_NAME,
            "id_number": id_number, "contact": {"phone": "13900000000", "email": None}, "degree": "phd",
            "title": "senior", "work_years": 12, "expertise": ["machine vision", "defect detection"],
            "fields": ["advanced_manufacturing"], **overrides}
