"""Each service's eventsourcing Application, by service name, for the tools that open a
store outside its service (the rebuild command, tests that inspect what was recorded)."""
from services.application.app import ApplicationApplication
from services.funding.app import FundingApplication
from services.registration.app import RegistrationApplication
from services.review.app import ReviewApplication

APPLICATIONS = {
    "registration": RegistrationApplication,
    "application": ApplicationApplication,
    "review": ReviewApplication,
    "funding": FundingApplication,
}
