"""Spans of days on the dates they concern (pure, no I/O): what shares a day, the busiest
day, and a command that records a period of the past with its end."""

from __future__ import annotations

import datetime as dt

import pytest
from franoi_common.periods import EndedAtOnce, EndedOn, Held, busiest_day, overlap
from franoi_common.persons import Command
from franoi_common.testing import days
from pydantic import ValidationError

FEB, MAY, JUN, SEP = days("2019-02-01", "2019-05-01", "2019-06-01", "2019-09-01")


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ((FEB, MAY), (JUN, None), False),  # apart
        ((FEB, JUN), (JUN, None), False),  # touching: the day one ends, the other starts
        ((FEB, dt.date(2019, 6, 2)), (JUN, None), True),  # one day shared
        ((FEB, None), (JUN, SEP), True),  # open: every day from its start
        ((FEB, None), (JUN, None), True),  # two open spans always meet
        ((FEB, SEP), (MAY, JUN), True),  # within
        ((MAY, MAY), (FEB, SEP), False),  # no day at all
    ],
)
def test_spans_share_a_day_in_either_order(
    first: tuple[dt.date, dt.date | None], second: tuple[dt.date, dt.date | None], shared: bool
) -> None:
    assert overlap(*first, *second) is shared
    assert overlap(*second, *first) is shared


def test_the_busiest_day_is_the_earliest_on_which_the_most_is_taken() -> None:
    held = [Held(FEB, "one"), Held(JUN, "two"), Held(SEP, "three")]
    taken, day, covering = busiest_day(held, MAY, None)
    assert (taken, day, [h.described() for h in covering]) == (3, SEP, ["one", "two", "three"])
    assert busiest_day(held, MAY, JUN)[:2] == (1, MAY)  # the end day is not one of its days
    assert busiest_day([], MAY, JUN) == (0, MAY, [])


class StartSomething(Command, EndedAtOnce):
    started_on: dt.date
    ended_on: EndedOn = None
    outcome: str | None = None

    END_NEEDS = ("outcome",)


def test_an_end_given_at_the_start_comes_with_what_it_needs() -> None:
    assert StartSomething(started_on=FEB).ended_on is None
    assert StartSomething(started_on=FEB, ended_on=MAY, outcome="done").ended_on == MAY
    for lone in ({"ended_on": MAY}, {"outcome": "done"}):
        with pytest.raises(ValidationError, match="give ended_on and outcome together"):
            StartSomething(started_on=FEB, **lone)
