"""What a page shows next to something due by a day (a task, a reporting period): overdue,
or due soon. One rule for the partner services' lists and the desk."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

DUE_SOON_DAYS = 7
"""Due within this many days (today included): "due soon"."""


class DueBadge(StrEnum):
    """What lists and pages show next to something not done yet that is due by a day (an
    open task, a period not submitted)."""

    OVERDUE = "overdue"
    """Not done, and its day has passed."""
    DUE_SOON = "due_soon"
    """Not done, and due today or within :data:`DUE_SOON_DAYS` days."""


def due_badge(due_on: dt.date, today: dt.date) -> DueBadge | None:
    """The badge of something not done yet, due on ``due_on``, on ``today``."""
    if due_on < today:
        return DueBadge.OVERDUE
    if due_on <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return DueBadge.DUE_SOON
    return None
