"""A sheet's columns read from its command: an optional field keeps its kind (an optional
``Day`` is a date column, an optional bounded integer an integer column), so its cells are
read as the template says (DD/MM/YYYY dates)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from franoi_common.importing.sheets import Sheet
from franoi_common.persons import Command, Day
from pydantic import Field

Pledged = Annotated[int, Field(ge=1, le=500)]


class SignSomething(Command):
    something_id: None = None
    signed_on: Day
    valid_until: Day | None = None
    units_pledged: Pledged | None = None


async def sign(s: object, partner_id: str, cmd: SignSomething) -> None:
    return None


def test_optional_dates_and_integers_keep_their_kind() -> None:
    columns = {c.name: c for c in Sheet("things", sign, "something_id").columns}
    assert {n: c.kind for n, c in columns.items()} == {
        "ref": "text",
        "signed_on": "date",
        "valid_until": "date",
        "units_pledged": "integer",
    }
    assert not columns["valid_until"].required
    assert columns["valid_until"].convert("31/12/2024", "p01") == dt.date(2024, 12, 31)
    assert columns["units_pledged"].convert("6", "p01") == 6
