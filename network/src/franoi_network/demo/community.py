"""Community life: hubs and their weekly walk-ins, community events, socialisation and
community labs (series of sessions, or a lab held once)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from franoi_network.demo.plan import PartnerPlanner

ACCESSES_A_WEEK = 10.0
"""Seed 001: 3,287 accesses to the four hubs in three years."""
EVENTS_A_MONTH = 6.0
"""Seed 001: 222 events with 9,059 participants."""
ONE_OFF_LABS_A_MONTH = 3.0
LAB_SERIES_A_MONTH = {"socialisation_lab": 0.8, "community_lab": 0.8}
"""Seed 001: 172 socialisation labs (3,327 participants) and 21 community labs (300
beneficiaries); a community lab is always a series of meetings."""
TOPICS = {"work": 30, "housing": 20, "documents": 20, "family": 10, "savings": 10, "other": 10}
EVENTS = {
    "public_event": (50, 30, 80, "Cena dei popoli"),
    "info_session": (35, 10, 30, "Incontro informativo"),
    "festival": (15, 150, 400, "Festa di quartiere"),
}
LABS = {
    "socialisation_lab": ("Laboratorio di cucina", "Laboratorio di sartoria", "Orto condiviso"),
    "community_lab": ("Laboratorio di comunità: quartiere", "Tavolo dei cittadini"),
}


def _hubs(pl: PartnerPlanner) -> list[str]:
    hubs = []
    for name, kind in (("Caffè di comunità", "cafe_hub"), ("Sportello casa e lavoro", "help_desk")):
        hub_id, opened = pl.uuid(), pl.later(pl.first_day, 0, 10)
        pl.call(
            opened,
            "events",
            "/v1/hubs",
            {
                "hub_id": hub_id,
                "name": name,
                "kind": kind,
                "municipality_code": pl.rng.choice(pl.places),
                "opened_on": opened.isoformat(),
                "opening_hours": [
                    {"weekday": d, "opens": "09:00", "closes": "13:00"} for d in (1, 3, 5)
                ],
            },
        )
        hubs.append(hub_id)
    return hubs


def _walk_ins(pl: PartnerPlanner, hubs: list[str]) -> None:
    week = pl.first_day + dt.timedelta(days=14)
    while pl.within(week):
        for hub_id in hubs:
            day = week + dt.timedelta(days=pl.rng.choice((0, 2, 4)))
            if not pl.within(day):
                continue
            total = pl.how_many(ACCESSES_A_WEEK / 2, day.replace(day=1))
            lines: list[dict[str, object]] = []
            left = total
            for topic in pl.rng.sample(list(TOPICS), k=3):
                accesses = left if len(lines) == 2 else pl.rng.randint(0, left)
                left -= accesses
                lines.append({"topic": topic, "accesses": accesses, "referred": pl.chance(0.3)})
            person = pl.person_for(day) if pl.chance(0.3) else None
            known = (
                []
                if person is None
                else [
                    {
                        "person_identifier": person.identifier,
                        "topic": pl.pick({k: float(v) for k, v in TOPICS.items()}),
                        "referred": True,
                    }
                ]
            )
            pl.call(
                day,
                "events",
                "/v1/access-batches",
                {
                    "access_batch_id": pl.uuid(),
                    "hub_id": hub_id,
                    "accessed_on": day.isoformat(),
                    "anonymous": lines,
                    "known_persons": known,
                },
            )
            pl.tally["events_accesses"] += total + len(known)
        week += dt.timedelta(days=7)


@dataclass(frozen=True)
class Held:
    participants: int
    beneficiaries: int
    volunteers: int


def _event(
    pl: PartnerPlanner,
    held: dt.date,
    kind: str,
    title: str,
    span: tuple[int, int],
    series: tuple[str, str, dt.date] | None = None,
) -> Held | None:
    """Schedules and holds (or, rarely, cancels) one event; a session of a series (id,
    municipality, start) is scheduled once the series has started, in its municipality."""
    event_id = pl.uuid()
    scheduled = max(
        series[2] if series else pl.first_day, held - dt.timedelta(days=pl.rng.randint(3, 30))
    )
    body: dict[str, object] = {
        "community_event_id": event_id,
        "kind": kind,
        "title": title,
        "starts_on": held.isoformat(),
        "duration_minutes": pl.rng.choice((90, 120, 180)),
        "municipality_code": series[1] if series else pl.rng.choice(pl.places),
        "co_organisers": {
            "associations": pl.rng.randint(0, 3),
            "public_bodies": pl.rng.randint(0, 1),
        },
    }
    if series:
        body["lab_series_id"] = series[0]
    pl.call(scheduled, "events", "/v1/community-events", body)
    if series is None and pl.chance(0.05):
        pl.call(
            held,
            "events",
            f"/v1/community-events/{event_id}/cancel",
            {
                "cancelled_on": held.isoformat(),
                "reason": pl.pick({"weather": 40, "low_enrolment": 40, "other": 20}),
            },
        )
        return None
    participants = pl.rng.randint(*span)
    beneficiaries = participants * pl.rng.randint(30, 60) // 100
    # Volunteers are participants too, and none of them a beneficiary.
    volunteers = min(pl.rng.randint(2, 12), participants - beneficiaries)
    pl.call(
        held,
        "events",
        f"/v1/community-events/{event_id}/hold",
        {
            "held_on": held.isoformat(),
            "participants": participants,
            "beneficiaries": beneficiaries,
            "volunteers": volunteers,
        },
    )
    pl.tally["events_held"] += 1
    pl.tally["events_participants"] += participants
    return Held(participants, beneficiaries, volunteers)


def _series(pl: PartnerPlanner, started: dt.date, kind: str) -> None:
    """A lab run as a series of weekly sessions, closed with the distinct people it
    reached (between the largest session and the sessions' total)."""
    series_id, title, place = pl.uuid(), pl.rng.choice(LABS[kind]), pl.rng.choice(pl.places)
    pl.call(
        started,
        "events",
        "/v1/lab-series",
        {
            "lab_series_id": series_id,
            "kind": kind,
            "title": title,
            "started_on": started.isoformat(),
            "municipality_code": place,
        },
    )
    counted = (
        "events_socialisation_labs" if kind == "socialisation_lab" else "events_community_labs"
    )
    pl.tally[counted] += 1
    sessions: list[Held] = []
    session = started
    for _ in range(pl.rng.randint(3, 8)):
        if not pl.within(session):
            return
        held = _event(pl, session, kind, title, (8, 25), (series_id, place, started))
        assert held is not None, "a series' sessions are held"
        sessions.append(held)
        session += dt.timedelta(days=7)
    if not pl.within(session):
        return

    # Distinct people: at least the largest session's, at most the sessions' total; the
    # volunteers and the beneficiaries are among the participants.
    total = sum(h.participants for h in sessions)
    volunteers = max(h.volunteers for h in sessions)
    beneficiaries = max(h.beneficiaries for h in sessions)
    largest = max(h.participants for h in sessions)
    participants = pl.rng.randint(largest, max(largest, total * 2 // 3))
    participants = min(total, max(participants, beneficiaries + volunteers))
    pl.call(
        session,
        "events",
        f"/v1/lab-series/{series_id}/close",
        {
            "closed_on": session.isoformat(),
            "distinct_participants": participants,
            "distinct_beneficiaries": beneficiaries,
            "distinct_volunteers": volunteers,
        },
    )
    if kind == "socialisation_lab":
        pl.tally["events_socialisation_lab_participants"] += participants
    else:
        pl.tally["events_community_lab_beneficiaries"] += beneficiaries


def plan(pl: PartnerPlanner) -> None:
    _walk_ins(pl, _hubs(pl))
    for month in pl.months():
        for _ in range(pl.how_many(EVENTS_A_MONTH, month)):
            kind = pl.pick({k: float(v[0]) for k, v in EVENTS.items()})
            _, low, high, title = EVENTS[kind]
            _event(pl, pl.day_in(month, weekdays_only=False), kind, title, (low, high))
        for _ in range(pl.how_many(ONE_OFF_LABS_A_MONTH, month)):
            held = _event(
                pl,
                pl.day_in(month),
                "socialisation_lab",
                pl.rng.choice(LABS["socialisation_lab"]),
                (8, 30),
            )
            if held:
                pl.tally["events_socialisation_labs"] += 1
                pl.tally["events_socialisation_lab_participants"] += held.participants
        for kind, per_month in LAB_SERIES_A_MONTH.items():
            for _ in range(pl.how_many(per_month, month)):
                _series(pl, pl.day_in(month), kind)
