"""The read models every service keeps beside its own (`app.projections()`): parked events, and
the index of which events belong to which case and stream (for the auditor's `case_events`)."""
from shared.platform.event_index import EventIndex
from shared.platform.parking import ParkedProjection


def platform_projections() -> tuple:
    return (ParkedProjection(), EventIndex())
