"""Family hosting's rules on the dates the records concern, not on today (pure, no I/O).

History is recorded in any order (a partner joining with its spreadsheets): a family's
approval, pause and withdrawal, its rooms, its matches and its stays are each judged on
their own days. A refusal names the other record and its dates; a record that shares no
day with the others is accepted whichever was recorded first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_common.testing import AMINA, BOBO, CHIDI, days
from franoi_contracts import hosting as ev
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_hosting.domain.families import HostFamily
from franoi_hosting.domain.model import (
    CapacityExceeded,
    FamilyNotAvailable,
    FamilyRequest,
    InvalidDates,
    InvalidTransition,
    InvalidValue,
    Match,
    MatchStatus,
    PersonAlreadyHosted,
    Stay,
    StayStatus,
)

D0, D1, D2, D3, D4, D5 = days(
    "2019-03-01", "2019-03-10", "2019-03-20", "2019-04-01", "2019-06-30", "2019-09-30"
)
"""Applied on D0, assessed and approved on D1; the rest of the family's history after."""

PERSON: dict[str, Any] = {
    "sex": Sex.MALE,
    "age_band": AgeBand.AGE_18_24,
    "protection_status": ProtectionStatus.SUBSIDIARY,
}


def family(rooms: int = 1) -> HostFamily:
    """A family approved on D1 (applied on D0)."""
    found = HostFamily.apply(uuid4(), "F205", rooms, 3, ["it"], D0)
    found.assess(D0, D1)
    found.approve(D1)
    found.events.clear()
    return found


def matched(host: HostFamily, person: str, on: dt.date, **found: Any) -> Match:
    """A match proposed and accepted on ``on``."""
    match = host.propose_match(uuid4(), person, on, **found)
    host.accept_match(match, on, **found)
    return match


def past_stay(
    host: HostFamily,
    person: str,
    start: dt.date,
    end: dt.date | None,
    **found: Any,
) -> Stay:
    """A stay from a match proposed and accepted on ``start``, recorded with its end at once
    (open with ``end`` None); ``found``: the stays the repository would find."""
    match = matched(host, person, start)
    outcome = None if end is None else ev.StayOutcome.COMPLETED_WITH_AUTONOMY
    return host.start_stay(
        match, uuid4(), start, 6, 300, **PERSON, ended_on=end, outcome=outcome, **found
    )


# --- stays: a family's rooms and a person's stays ------------------------------------------


def test_an_earlier_stay_recorded_after_a_later_one_takes_the_free_room() -> None:
    """One room, taken from April by an open stay: a stay of March, recorded afterwards,
    shares no day with it (it ends the day the other starts)."""
    host = family(rooms=1)
    later = past_stay(host, AMINA, D3, None)
    earlier = past_stay(host, BOBO, D1, D3)
    assert (earlier.status, earlier.ended_on) == (StayStatus.ENDED, D3)
    assert [type(e) for e in earlier.events] == [ev.StayStarted, ev.StayEnded]
    assert host.active_stays == [later] and host.free_rooms == 0


def test_a_stay_sharing_a_day_with_another_is_refused_naming_it() -> None:
    host = family(rooms=1)
    later = past_stay(host, AMINA, D3, None)
    with pytest.raises(CapacityExceeded) as refused:
        past_stay(host, BOBO, D1, D3 + dt.timedelta(days=1))
    assert f"on {D3}: by the active stay {later.stay_id} from {D3}" in str(refused.value)
    # in the other order: the earlier stay first, the later one overlapping it
    other = family(rooms=1)
    first = past_stay(other, BOBO, D1, D4)
    with pytest.raises(CapacityExceeded, match=f"stay {first.stay_id} from {D1} to {D4}"):
        past_stay(other, AMINA, D3, None, family_stays=[first])


def test_the_rooms_are_counted_on_each_day() -> None:
    """Two rooms: two stays on different days leave a room for a third crossing both."""
    host = family(rooms=2)
    one = past_stay(host, AMINA, D1, D2)
    two = past_stay(host, BOBO, D3, D4)
    assert past_stay(host, CHIDI, D1, D4, family_stays=[one, two]).ended_on == D4


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [(D1, D2, False), (D3, D4, False), (D1, D3, True), (D2, None, True)],
)
def test_one_stay_at_a_time_per_person_on_the_dates(
    start: dt.date, end: dt.date | None, refused: bool
) -> None:
    """The person's other stay (D2 to D3, in another family) shares a day or not."""
    elsewhere = past_stay(family(), AMINA, D2, D3)
    if not refused:
        assert past_stay(family(), AMINA, start, end, person_stays=[elsewhere]).started_on
        return
    with pytest.raises(PersonAlreadyHosted, match=f"stay {elsewhere.stay_id} from {D2} to {D3}"):
        past_stay(family(), AMINA, start, end, person_stays=[elsewhere])


def test_a_stay_recorded_with_its_end_needs_its_outcome_and_ends_after_it_starts() -> None:
    host = family()
    match = matched(host, AMINA, D2)
    with pytest.raises(InvalidValue):
        host.start_stay(match, uuid4(), D3, 6, 300, **PERSON, ended_on=D4)
    with pytest.raises(InvalidDates):
        host.start_stay(
            match, uuid4(), D3, 6, 300, **PERSON, ended_on=D2,
            outcome=ev.StayOutcome.COMPLETED_WITH_AUTONOMY,
        )  # fmt: skip
    assert match.status is MatchStatus.ACCEPTED


# --- matches: the family and its rooms on the match's day ----------------------------------


def test_a_match_asks_for_a_room_on_its_day() -> None:
    """A proposal or acceptance on a day the family's stays leave a room free is accepted,
    though the room is taken later; a match waiting that day holds its room."""
    host = family(rooms=1)
    later = past_stay(host, AMINA, D3, None)
    match = host.propose_match(uuid4(), BOBO, D1)
    host.accept_match(match, D1, family_stays=[later])
    with pytest.raises(CapacityExceeded, match=f"accepted match {match.match_id} waiting"):
        host.propose_match(uuid4(), CHIDI, D1)


def test_a_match_waiting_from_a_later_day_leaves_the_room_free_before_it() -> None:
    """One room, promised from D3 by a waiting match: a match of D1, recorded afterwards,
    is proposed and accepted (the room is free that day) and its stay of D1 to D3 fits;
    on D3 the room is taken, naming the waiting match and its date."""
    host = family(rooms=1)
    waiting = matched(host, AMINA, D3)
    earlier = matched(host, BOBO, D1)
    stay = host.start_stay(
        earlier, uuid4(), D1, 1, 0, **PERSON, ended_on=D3, outcome=ev.StayOutcome.OTHER
    )
    assert stay.ended_on == D3 and waiting.holds_room
    with pytest.raises(
        CapacityExceeded,
        match=f"on {D3}: by the accepted match {waiting.match_id} waiting from {D3}",
    ):
        host.propose_match(uuid4(), CHIDI, D3)
    # the other order: the match of D1 waiting first, one of D3 finds the room promised
    other = family(rooms=1)
    first = matched(other, BOBO, D1)
    with pytest.raises(
        CapacityExceeded, match=f"by the accepted match {first.match_id} waiting from {D1}"
    ):
        other.propose_match(uuid4(), AMINA, D3)


def test_a_match_before_the_approval_is_refused_naming_it() -> None:
    host = family()
    with pytest.raises(InvalidDates, match=f"the family's approval on {D1}"):
        host.propose_match(uuid4(), AMINA, D0)
    assert host.open_matches == []


def test_a_match_before_the_withdrawal_is_recorded_after_it() -> None:
    """The family withdrew on D4: a match of D2, accepted on D3, is recorded afterwards; a
    match or an acceptance on the day of the withdrawal or later is refused naming it."""
    host = family(rooms=2)
    host.withdraw(D4)
    match = host.propose_match(uuid4(), AMINA, D2)
    host.accept_match(match, D3)
    assert match.status is MatchStatus.ACCEPTED
    with pytest.raises(FamilyNotAvailable, match=f"withdrew on {D4}: .* on {D4}"):
        host.propose_match(uuid4(), BOBO, D4)
    late = host.propose_match(uuid4(), CHIDI, D3)
    with pytest.raises(FamilyNotAvailable, match=f"withdrew on {D4}"):
        host.accept_match(late, D5)
    assert late.status is MatchStatus.PROPOSED


def test_a_match_before_the_pause_is_recorded_after_it() -> None:
    host = family(rooms=2)
    host.pause(D3)
    match = matched(host, AMINA, D2)
    assert match.status is MatchStatus.ACCEPTED
    with pytest.raises(FamilyNotAvailable, match=f"paused on {D3}: .* on {D4}"):
        host.propose_match(uuid4(), BOBO, D4)


# --- stays of a family that withdrew, and the withdrawal on its day ------------------------


def test_a_stay_ended_by_the_withdrawal_is_recorded_after_it() -> None:
    """The family withdrew on D4: a stay of D2 to D4 is recorded afterwards; one running
    past the withdrawal, or still open, is refused naming its date."""
    host = family(rooms=2)
    host.withdraw(D4)
    assert past_stay(host, AMINA, D2, D4).ended_on == D4
    for person, end in ((BOBO, D5), (CHIDI, None)):
        with pytest.raises(InvalidTransition, match=f"the family withdrew on {D4}"):
            past_stay(host, person, D3, end)


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [(D1, D2, False), (D2, D3, False), (D2, D4, True), (D2, None, True), (D4, D5, True)],
)
def test_the_withdrawal_is_refused_only_by_a_stay_on_or_after_its_day(
    start: dt.date, end: dt.date | None, refused: bool
) -> None:
    """Withdrawing on D3: a stay that ended by then does not stand in the way (the day it
    ended is free); one covering D3, or later, does, named with its dates."""
    host = family()
    stay = past_stay(host, AMINA, start, end)
    found = [stay] if stay.overlaps(D3, None) else []  # what the repository finds from D3 on
    if not refused:
        host.withdraw(D3, family_stays=found)
        assert host.is_withdrawn and host.withdrawn_on == D3
        return
    with pytest.raises(
        InvalidTransition, match=f"withdraw on {D3}: .*stay {stay.stay_id} {stay.dates}"
    ):
        host.withdraw(D3, family_stays=found)
    assert not host.is_withdrawn and host.events == []


# --- the rooms offered hold on every day of the family's history ---------------------------


def test_fewer_rooms_are_refused_by_the_busiest_day_of_the_past() -> None:
    """Two rooms, both taken from D3 to D4 by stays now ended: one room is refused, naming
    the day and the stays; stays that never shared a day leave one room enough."""
    host = family(rooms=2)
    one = past_stay(host, AMINA, D2, D4)
    two = past_stay(host, BOBO, D3, D4, family_stays=[one])
    with pytest.raises(CapacityExceeded) as refused:
        host.update(rooms_offered=1, family_stays=[one, two])
    message = str(refused.value)
    assert f"2 room(s) of the family are taken or promised on {D3}" in message
    assert f"stay {one.stay_id} {one.dates}" in message and f"stay {two.stay_id}" in message
    assert host.rooms_offered == 2 and host.events == []

    apart = family(rooms=2)
    stays = [past_stay(apart, AMINA, D1, D2), past_stay(apart, BOBO, D3, D4)]
    apart.update(rooms_offered=1, family_stays=stays)
    assert apart.rooms_offered == 1
    # the other order: one room first, then the stays of the past, each judged on its days
    with pytest.raises(CapacityExceeded, match=f"stay {stays[1].stay_id} from {D3} to {D4}"):
        past_stay(apart, CHIDI, D2, D5, family_stays=stays)


def test_a_match_names_its_request_as_it_was_on_the_matchs_day() -> None:
    """A request closed since was open on an earlier match's day: the match is recorded
    after the close; a match on or after the close is refused naming its day."""
    host = family()
    request = FamilyRequest.submit(uuid4(), AMINA, ev.FamilyRequestKind.HOSTING, 1, D0, **PERSON)
    request.declare_unsatisfied(D3, ev.UnsatisfiedReason.NO_FAMILY_AVAILABLE)
    earlier = host.propose_match(uuid4(), AMINA, D2, request)
    assert earlier.request_id == request.request_id
    with pytest.raises(InvalidTransition, match=f"the request was closed on {D3}"):
        family().propose_match(uuid4(), AMINA, D3, request)
