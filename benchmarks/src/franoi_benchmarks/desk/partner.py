"""The partner the desk benchmark measures, and the social worker signed in at its desk."""

from __future__ import annotations

import datetime as dt

PARTNER = "p01"
WORKER = "Giulia Bianchi"
"""The social worker signed in at the desk (the token's subject: key worker and assignee)."""
COLLEAGUES = [f"Operatore {n:03d}" for n in range(1, 100)]
"""The partner's other social workers: with the one signed in, a hundred key workers."""
PEERS = ("housing", "employment", "hosting", "events")
"""The partner's services besides its register (cases)."""
TODAY = dt.date.today()
