"""review's commands (fields: the schemas in shared/contracts/review.py).

Programme B's project review takes the same payloads as programme A's conflict declaration and
score, but is a different command with its own handler: hence the subclasses."""
from shared.contracts import review as contracts
from shared.contracts.commands import command_of

# -- programme A: the case's audit, reviewers and the working group's decision
ApproveAudit = command_of(contracts.ApproveAudit)
ReturnForCorrection = command_of(contracts.ReturnForCorrection)
DeclareConflict = command_of(contracts.DeclareConflict)
Score = command_of(contracts.Score)
DecideAward = command_of(contracts.DecideAward)
Decline = command_of(contracts.Decline)


# -- programme B: the project's review and its filing (备案)
class DeclareProjectConflict(command_of(contracts.DeclareConflict)):
    """A reviewer's conflict of interest with a programme B project."""


class ScoreProject(command_of(contracts.Score)):
    """A reviewer's score of a programme B project."""


DecideProject = command_of(contracts.DecideProject)
FileWithOffice = command_of(contracts.FileWithOffice)
