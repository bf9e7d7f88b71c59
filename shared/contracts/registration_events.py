"""Integration events the registration service publishes (units; programme B's expert pool), by
type and schema version. Merged into `shared.contracts.events.PAYLOADS`.

Personal data never leaves: a unit's contact, and an expert's name, ID number and contact, stay in
the registration store (the expert's stream id is derived from the ID number, the payloads carry
only what matchmaking and the case streams need)."""
from __future__ import annotations

from marshmallow import fields, validate

from shared.contracts.base import StrictSchema, integer, iso_date, reason, text

UNIT_TYPES = ("enterprise", "financial_institution", "university", "research_institute")
INDUSTRIES = ("medicine_health", "advanced_energy", "advanced_manufacturing", "financial_services",
              "technology_services")

# Programme B's expert pool (二(二)1: 博士学位或副高级及以上职称). Which of these qualify is policy data
# (`expert.qualifying_degrees` / `expert.qualifying_titles` of the edition), not fixed here.
DEGREES = ("phd", "master", "bachelor", "other")
TITLES = ("senior", "associate_senior", "intermediate", "junior", "none")
TAG = 64            # a field of work or an expertise keyword
TAGS = 20           # the most of them on one expert


def tags(**kwargs) -> fields.List:
    """A list of short labels (fields of work, expertise keywords). A helper because the schemas below
    have a field named `fields`, which hides marshmallow's module inside their class bodies."""
    return fields.List(text(TAG), validate=validate.Length(max=TAGS), **kwargs)


# -- units ---------------------------------------------------------------------------------
class UnitRegistered(StrictSchema):
    name = text(required=True)
    credit_code = text(32, required=True)
    unit_type = fields.String(required=True, validate=validate.OneOf(UNIT_TYPES))
    industry = fields.String(required=True, validate=validate.OneOf(INDUSTRIES))
    registered_in_changping = fields.Boolean(required=True)


class UnitRegisteredV2(UnitRegistered):
    """v2: whether the unit declares itself a Changping technology company (昌平区科技型企业, programme B's
    companies); only an enterprise may."""
    technology_company = fields.Boolean(required=True)


class UnitDetailsUpdated(StrictSchema):
    name = text(required=True)
    unit_type = fields.String(required=True, validate=validate.OneOf(UNIT_TYPES))
    industry = fields.String(required=True, validate=validate.OneOf(INDUSTRIES))
    registered_in_changping = fields.Boolean(required=True)


class UnitDetailsUpdatedV2(UnitDetailsUpdated):
    technology_company = fields.Boolean(required=True)


class UnitAudited(StrictSchema):
    reason = reason(required=True)


# -- the expert pool (programme B) -----------------------------------------------------------
class ExpertRecommended(StrictSchema):
    """A dispatching institution recommended a candidate (推荐情况表). No name, ID number or contact."""
    institution_name = text(required=True)
    institution_kind = text(64, required=True)      # a code of the edition's `expert.institution_kinds`
    degree = fields.String(required=True, validate=validate.OneOf(DEGREES))
    title = fields.String(required=True, validate=validate.OneOf(TITLES))
    work_years = integer(min=0, max=80, required=True)
    expertise = tags(required=True)
    fields = tags(required=True)                    # last: see `tags`


class ExpertWaiverRecorded(StrictSchema):
    """An officer relaxed the degree/title and work-years conditions (核心知识产权或成熟科技成果)."""
    waiver = text(64, required=True)                # a code of the edition's `expert.waivers`
    reason = reason(required=True)


class ExpertPublished(StrictSchema):
    """The candidate is in the published pool (对外公开发布) from `published_on` (Beijing date)."""
    published_on = iso_date(required=True)
    institution_kind = text(64, required=True)
    fields = tags(required=True)


class ExpertWithdrawn(StrictSchema):
    """An officer took the expert out of the pool (or withdrew an unpublished candidate)."""
    reason = reason(required=True)


REGISTRATION_PAYLOADS: dict[tuple[str, int], type[StrictSchema]] = {
    ("registration.unit.Registered", 1): UnitRegistered,
    ("registration.unit.Registered", 2): UnitRegisteredV2,
    ("registration.unit.Approved", 1): UnitAudited,
    ("registration.unit.Rejected", 1): UnitAudited,
    ("registration.unit.ReturnedForCorrection", 1): UnitAudited,
    ("registration.unit.DetailsUpdated", 1): UnitDetailsUpdated,
    ("registration.unit.DetailsUpdated", 2): UnitDetailsUpdatedV2,
    ("registration.expert.Recommended", 1): ExpertRecommended,
    ("registration.expert.WaiverRecorded", 1): ExpertWaiverRecorded,
    ("registration.expert.Published", 1): ExpertPublished,
    ("registration.expert.Withdrawn", 1): ExpertWithdrawn,
}
