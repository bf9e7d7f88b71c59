"""RPC payloads of the registration service."""
from marshmallow import fields, validate

from shared.contracts.base import (PageSchema, ReadSchema, Reply, StrictSchema, WriteReply, WriteSchema, identifier, integer,
                                   iso_date, iso_datetime, one_of, page_of, reason, text, version)
from shared.contracts.application import DocumentRef
from shared.contracts.registration_events import DEGREES, INDUSTRIES, TAG, TITLES, UNIT_TYPES


class Contact(StrictSchema):
    name = text(required=True)
    phone = text(32, required=True)
    id_number = text(32, required=True)    # personal data: stays in the registration store


class UnitDetails(WriteSchema):
    """What a unit declares, at registration and when it updates its details for a new call."""
    name = text(required=True)
    unit_type = fields.String(required=True, validate=validate.OneOf(UNIT_TYPES))
    industry = fields.String(required=True, validate=validate.OneOf(INDUSTRIES))
    registered_in_changping = fields.Boolean(required=True)
    contact = fields.Nested(Contact, required=True)
    materials = fields.List(fields.Nested(DocumentRef), required=True, validate=validate.Length(max=50))
    # programme B's companies are Changping technology companies (昌平区科技型企业): only an enterprise may say so
    technology_company = fields.Boolean(load_default=False)


class RegisterUnit(UnitDetails):
    # upper case by its standard (GB 32100): a lower-case code is refused, not folded
    credit_code = identifier(r"[0-9A-Z]{18}", "must be an 18-character unified credit code", 32, required=True)


class UpdateUnitDetails(UnitDetails):
    unit_id = fields.UUID(required=True)


class AuditUnit(WriteSchema):
    unit_id = fields.UUID(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("approve", "reject", "return")))
    reason = reason(required=True)


class GetUnit(ReadSchema):
    unit_id = fields.UUID(required=True)


# -- programme B: the expert pool (科技副总 拟聘专家人才库) ------------------------------------------
class ExpertContact(StrictSchema):
    phone = text(32, required=True)
    email = text(200, load_default=None, allow_none=True, validate_also=validate.Email())


class RecommendExpert(WriteSchema):
    """The recommendation form (推荐情况表) a dispatching institution fills in for a candidate."""
    institution_name = text(required=True)
    institution_kind = text(64, required=True)      # a code of the edition's institution kinds (B.expert.institution)
    name = text(required=True)                      # personal data: stays in the registration store
    # case-insensitive: the keyed index that finds the expert reads its upper-case form
    id_number = identifier(r"[0-9A-Za-z]{6,32}", "an ID card or passport number: letters and digits only", 32,
                           required=True)
    contact = fields.Nested(ExpertContact, required=True)
    degree = fields.String(required=True, validate=validate.OneOf(DEGREES))
    title = fields.String(required=True, validate=validate.OneOf(TITLES))
    work_years = integer(min=0, max=80, required=True)
    expertise = fields.List(text(TAG), required=True, validate=validate.Length(min=1, max=20))
    fields = fields.List(text(TAG), required=True, validate=validate.Length(min=1, max=10))   # last: it hides the module


class ExpertCommand(WriteSchema):
    expert_id = fields.UUID(required=True)


class RecordExpertWaiver(ExpertCommand):
    waiver = text(64, required=True)                # a code of the edition's waivers (B.expert.waiver)
    reason = reason(required=True)


class PublishExpert(ExpertCommand):
    pass


class WithdrawExpert(ExpertCommand):
    reason = reason(required=True)


class GetExpert(ReadSchema):
    expert_id = fields.UUID(required=True)


class Experts(PageSchema):
    """The published pool; every filter is optional and they combine (AND). Field, keyword and institution
    match whole values, ignoring case and surrounding/extra spaces."""
    field = text(TAG, load_default=None)
    keyword = text(TAG, load_default=None)
    institution = text(load_default=None)
    institution_kind = text(64, load_default=None)


class ExpertRecommendations(PageSchema):
    """Officers' work list: candidates by status, oldest recommendation first."""
    status = fields.String(load_default="recommended",
                           validate=validate.OneOf(("recommended", "published", "withdrawn")))


# == replies ========================================================================================
UNIT_STATUSES = ("pending", "approved", "rejected", "returned")
EXPERT_STATUSES = ("recommended", "published", "withdrawn")


class UnitRegistered(WriteReply):
    unit_id = fields.UUID(required=True)
    version = version()


class UnitWritten(UnitRegistered):
    """An audit or an update: the unit's registration status after it."""
    status = one_of(UNIT_STATUSES, required=True)


class Unit(Reply):
    """A unit's registration as the `units` read model holds it (no contact: personal data stays in the store)."""
    unit_id = fields.UUID(required=True)
    name = text(required=True)
    unit_type = one_of(UNIT_TYPES, required=True)
    industry = one_of(INDUSTRIES, required=True)
    status = one_of(UNIT_STATUSES, required=True)
    technology_company = fields.Boolean(required=True)
    registered_at = iso_datetime(required=True)
    updated_at = iso_datetime(metadata={"description": "when the details were last updated"})
    audit_reason = reason(allow_none=True, metadata={"description": "the last audit's reason; null after an update"})
    audited_by = text(metadata={"description": "the officer of the last audit"})
    version = version()


class ExpertWritten(WriteReply):
    expert_id = fields.UUID(required=True)
    status = one_of(EXPERT_STATUSES, required=True)
    version = version()
    published_on = iso_date(metadata={"description": "publish_expert only: the publication date (Beijing)"})


class Waiver(Reply):
    waiver = text(64, required=True)
    reason = reason(required=True)
    decided_by = text(required=True)
    recorded_at = iso_datetime(required=True)


class PoolExpert(Reply):
    """A published expert's public profile, as the pool lists it."""
    expert_id = fields.UUID(required=True)
    name = text(required=True)
    institution_name = text(required=True)
    institution_kind = text(64, required=True)
    degree = one_of(DEGREES, required=True)
    title = one_of(TITLES, required=True)
    work_years = integer(min=0, max=80, required=True)
    expertise = fields.List(text(TAG), required=True, validate=validate.Length(max=20))
    status = one_of(EXPERT_STATUSES, required=True)
    published_on = iso_date(required=True, allow_none=True)
    version = version()
    fields = fields.List(text(TAG), required=True, validate=validate.Length(max=10))   # last: it hides the module


class Expert(PoolExpert):
    """One candidate. Everyone sees the public profile and status; officers and auditors also see the
    fields marked *office*: the waiver, who recommended, published and withdrew, the edition, and the
    personal data (`id_number`, `contact`)."""
    recommending_unit_id = fields.UUID(allow_none=True, metadata={
        "description": "the university or institute that filed the recommendation; null when an officer did"})
    recommended_at = iso_datetime()
    withdrawal_reason = reason(allow_none=True)
    withdrawn_at = iso_datetime()
    recommended_by = text(metadata={"description": "office"})
    published_by = text(metadata={"description": "office"})
    withdrawn_by = text(metadata={"description": "office"})
    policy_edition = text(64, metadata={"description": "office"})
    waiver = fields.Nested(Waiver, allow_none=True, metadata={"description": "office"})
    waived = fields.List(text(64), validate=validate.Length(max=10), metadata={
        "description": "office: the conditions the waiver relaxed at publication"})
    id_number = text(32, metadata={"description": "office: personal data, officers and auditors only"})
    contact = fields.Nested(ExpertContact, metadata={"description": "office: personal data, officers and auditors only"})


ExpertPool = page_of(PoolExpert, "ExpertPool")
ExpertList = page_of(Expert, "ExpertList")
