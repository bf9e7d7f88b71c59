"""application's commands (fields: the schemas in shared/contracts/application.py), and the term
timer's, which no caller sends."""
from dataclasses import dataclass
from datetime import date

from shared.contracts import application as contracts
from shared.contracts.commands import command_of

# -- programme A: the case
FileCase = command_of(contracts.FileCase)
DeclareTalent = command_of(contracts.DeclareTalent)
AttachDocuments = command_of(contracts.AttachDocuments)
Submit = command_of(contracts.Submit)
AgeWaiver = command_of(contracts.AgeWaiver)
RecordPaperDelivery = command_of(contracts.RecordPaperDelivery)

# -- programme B: matchmaking and the placement
ProposeCooperation = command_of(contracts.ProposeCooperation)
ConfirmCooperation = command_of(contracts.ConfirmCooperation)
FileProject = command_of(contracts.FileProject)
RecordAgreement = command_of(contracts.RecordAgreement)
Appoint = command_of(contracts.Appoint)
ExtendTerm = command_of(contracts.ExtendTerm)
TerminateEarly = command_of(contracts.TerminateEarly)
RecordEvaluation = command_of(contracts.RecordEvaluation)


@dataclass(frozen=True, kw_only=True)
class ExpireTerm:
    """The term timer's: record the end of one placement's term if it is due by `today`."""
    case_id: str
    today: date
