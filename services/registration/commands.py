"""registration's commands (fields: the schemas in shared/contracts/registration.py)."""
from shared.contracts import registration as contracts
from shared.contracts.commands import command_of

RegisterUnit = command_of(contracts.RegisterUnit)
AuditUnit = command_of(contracts.AuditUnit)
UpdateUnitDetails = command_of(contracts.UpdateUnitDetails)
RecommendExpert = command_of(contracts.RecommendExpert)
RecordExpertWaiver = command_of(contracts.RecordExpertWaiver)
PublishExpert = command_of(contracts.PublishExpert)
WithdrawExpert = command_of(contracts.WithdrawExpert)
