"""The employment API's behaviour on a real PostgreSQL (no broker: the relay is off).

One instance serves several partners; each test works as its own partner, so
lists and totals are exact although the tests share the database. Every command
goes through :meth:`Api.call`, which checks the status and that exactly the
expected events were appended to the outbox (type, aggregate, topic, source,
schema) with data that validates against the event's pydantic model; a refused
command must append nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from franoi_common.pseudonym import normalise_identifier, person_ref
from franoi_employment.bootstrap import DEFINITION as EMPLOYMENT

from tests.support import (
    OutboxApi,
    Served,
    auth_header,
    ids,
    kafka_settings,
    partner_service_settings,
    serving,
)

PARTNERS = ("p40", "p41", "p42", "p43", "p44", "p45", "p46", "p47", "p48", "p39")
TODAY = dt.date.today()
TABLES = (
    "company_agreements",
    "consultations",
    "group_activities",
    "group_activity_attendees",
    "skills_profiles",
    "skills_assessments",
    "enrolments",
    "internships",
    "hires",
    "outbox",
    "command_fingerprints",
)
COARSE = {"sex": "male", "age_band": "25-34", "protection_status": "subsidiary_protection"}
COMPANY = "Trattoria da Gino di Gino Bianchi"
COURSE = "Corso HACCP presso Ente Scuola Bottega"


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def who(identifier: str) -> dict[str, Any]:
    return {"person_identifier": identifier, **COARSE}


def consultation_body(identifier: str, **changes: Any) -> dict[str, Any]:
    return {
        **who(identifier),
        "held_on": day(-100),
        "topic": "orientation",
        "minutes": 45,
        "worker_role": "job_counsellor",
        **changes,
    }


def agreement_body(**changes: Any) -> dict[str, Any]:
    return {
        "company_name": COMPANY,
        "sector": "I",
        "places_offered": 3,
        "signed_on": day(-200),
        **changes,
    }


def enrolment_body(identifier: str, **changes: Any) -> dict[str, Any]:
    return {
        **who(identifier),
        "course_title": COURSE,
        "provider": "Ente Scuola Bottega",
        "course_kind": "safety_certificate",
        "hours": 16,
        "starts_on": day(-90),
        "ends_on": day(-88),
        **changes,
    }


def internship_body(identifier: str, agreement_id: str, **changes: Any) -> dict[str, Any]:
    return {
        **who(identifier),
        "company_agreement_id": agreement_id,
        "started_on": day(-80),
        "planned_end_on": day(-20),
        "monthly_stipend_eur": 500,
        "stipend_paid_by": "project",
        **changes,
    }


def hire_body(identifier: str, **changes: Any) -> dict[str, Any]:
    return {
        **who(identifier),
        "sector": "C",
        "contract_type": "fixed_term",
        "weekly_hours": 30,
        "started_on": day(-10),
        "ends_on": day(170),
        **changes,
    }


def assessment_body(**changes: Any) -> dict[str, Any]:
    return {
        "assessed_on": day(-95),
        "education_level": "upper_secondary",
        "italian_level": "a2",
        "italian_assessed_on": day(-120),
        "other_languages": ["en", "tir"],
        "prior_sectors": ["A", "F"],
        "driving_licence": "foreign_not_converted",
        **changes,
    }


class Api(OutboxApi):
    DOMAIN = "employment"


Employment = Served[Api]


@pytest.fixture(scope="module")
async def employment(databases) -> AsyncIterator[Employment]:
    url = await databases.create("employment_api")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    settings = partner_service_settings(url, kafka, PARTNERS, relay_enabled=False)
    async with serving(EMPLOYMENT, settings, Api, TABLES) as served:
        yield served


# --- a person's way through the desk -----------------------------------------------------


async def test_a_journey_from_consultation_to_hire(employment: Employment) -> None:
    api = employment.api("p41")
    consultation = await api.call(
        "POST", "/v1/consultations", consultation_body("AMNDLL90A41Z336K"), status=201,
        events=[("consultation.recorded", None)],
    )  # fmt: skip
    ref = consultation["person_ref"]
    assert len(ref) == 64 and consultation["topic"] == "orientation"
    assert await api.get(f"/v1/consultations/{consultation['consultation_id']}") == consultation

    profile = await api.call(
        "POST", "/v1/skills-profiles",
        {"person_ref": ref, **assessment_body()}, status=201,
        events=[("skills_profile.assessed", None)],
    )  # fmt: skip
    assert (profile["version"], profile["current"]["italian_level"]) == (1, "a2")
    pid = profile["skills_profile_id"]
    profile = await api.call(
        "POST", f"/v1/skills-profiles/{pid}/assessments",
        assessment_body(assessed_on=day(-30), italian_level="b1", italian_assessed_on=day(-30)),
        status=200, events=[("skills_profile.assessed", pid)],
    )  # fmt: skip
    assert profile["version"] == 2
    assert [a["italian_level"] for a in profile["assessments"]] == ["a2", "b1"]
    assert profile["current"]["italian_level"] == "b1"

    agreement = await api.call(
        "POST", "/v1/company-agreements", agreement_body(valid_until=day(365)), status=201,
        events=[("company_agreement.signed", None)],
    )  # fmt: skip
    assert agreement["company_name"] == COMPANY  # a local label, shown locally
    aid = agreement["company_agreement_id"]

    enrolment = await api.call(
        "POST", "/v1/enrolments", enrolment_body("AMNDLL90A41Z336K"), status=201,
        events=[("enrolment.started", None)],
    )  # fmt: skip
    assert enrolment["person_ref"] == ref and enrolment["status"] == "enrolled"
    eid = enrolment["enrolment_id"]
    completed = await api.call(
        "POST", f"/v1/enrolments/{eid}/complete", {"completed_on": day(-88)}, status=200,
        events=[("enrolment.completed", eid)],
    )  # fmt: skip
    assert (completed["status"], completed["closed_on"]) == ("completed", day(-88))

    internship = await api.call(
        "POST", "/v1/internships", internship_body("AMNDLL90A41Z336K", aid), status=201,
        events=[("internship.started", None)],
    )  # fmt: skip
    assert (internship["sector"], internship["status"]) == ("I", "open")
    iid = internship["internship_id"]
    await api.call(
        "POST", f"/v1/internships/{iid}/extend", {"planned_end_on": day(-15)}, status=200,
        events=[("internship.extended", iid)],
    )  # fmt: skip
    ended = await api.call(
        "POST", f"/v1/internships/{iid}/end", {"ended_on": day(-15)}, status=200,
        events=[("internship.ended", iid)],
    )  # fmt: skip
    assert (ended["status"], ended["outcome"]) == ("ended", None)
    outcome = await api.call(
        "POST", f"/v1/internships/{iid}/outcome",
        {"outcome": "hired", "recorded_on": day(-14)}, status=200,
        events=[("internship.outcome_recorded", iid)],
    )  # fmt: skip
    assert (outcome["outcome"], outcome["outcome_recorded_on"]) == ("hired", day(-14))

    # hired where the intern trained: the agreement (and sector) come from the internship
    hire = await api.call(
        "POST", "/v1/hires",
        hire_body("AMNDLL90A41Z336K", sector=None, internship_id=iid,
                  contract_type="apprenticeship", ends_on=None),
        status=201, events=[("hire.recorded", None)],
    )  # fmt: skip
    assert (hire["company_agreement_id"], hire["sector"], hire["internship_id"]) == (aid, "I", iid)
    hid = hire["hire_id"]
    ended_hire = await api.call(
        "POST", f"/v1/hires/{hid}/end", {"ended_on": day(-1), "reason": "resigned"}, status=200,
        events=[("hire.ended", hid)],
    )  # fmt: skip
    assert (ended_hire["status"], ended_hire["end_reason"]) == ("ended", "resigned")
    await api.call(
        "POST", f"/v1/company-agreements/{aid}/end", {"ended_on": day()}, status=200,
        events=[("company_agreement.ended", aid)],
    )  # fmt: skip

    # the person's file gathers everything held for them
    records = await api.get(f"/v1/persons/{ref}/records")
    assert (records["person_ref"], records["domain"]) == (ref, "employment")
    got = {kind: len(items) for kind, items in records["records"].items()}
    assert got == {
        "consultations": 1, "group_activities": 0, "skills_profiles": 1, "enrolments": 1,
        "internships": 1, "hires": 1,
    }  # fmt: skip
    assert records["records"]["hires"][0]["status"] == "ended"
    nobody = await api.get(f"/v1/persons/{'0' * 64}/records")
    assert all(items == [] for items in nobody["records"].values())
    # the same identifier, written differently, is the same person
    key = employment.service.settings.pseudonym_key.get_secret_value().encode()
    assert ref == person_ref("amndll 90a41-z336k", key)


async def test_group_activities_schedule_hold_and_cancel(employment: Employment) -> None:
    api = employment.api("p42")
    consultation = await api.call(
        "POST", "/v1/consultations", consultation_body("GRPPRS85B12Z330A"), status=201,
        events=[("consultation.recorded", None)],
    )  # fmt: skip
    ref = consultation["person_ref"]
    group = await api.call(
        "POST", "/v1/group-activities", {"kind": "orientation_group", "scheduled_on": day(-5)},
        status=201, events=[("group_activity.scheduled", None)],
    )  # fmt: skip
    assert (group["status"], group["attendees"], group["registered_attendees"]) == (
        "scheduled", None, [],
    )  # fmt: skip
    gid = group["group_activity_id"]
    held = await api.call(
        "POST", f"/v1/group-activities/{gid}/hold",
        {"held_on": day(-5), "anonymous_attendees": 4,
         "registered_attendees": [{"person_ref": ref},
                                  {"person_identifier": "ZZZPRS85B12Z330B"}]},
        status=200, events=[("group_activity.held", gid)],
    )  # fmt: skip
    assert (held["status"], held["anonymous_attendees"], held["attendees"]) == ("held", 4, 6)
    assert ref in held["registered_attendees"] and len(held["registered_attendees"]) == 2
    # a retry of the same request succeeds and records nothing more
    again = await api.call(
        "POST", f"/v1/group-activities/{gid}/hold",
        {"held_on": day(-5), "anonymous_attendees": 4,
         "registered_attendees": [{"person_identifier": "ZZZPRS85B12Z330B"},
                                  {"person_ref": ref}]},
        status=200,
    )  # fmt: skip
    assert again == held
    school = await api.call(
        "POST", "/v1/group-activities", {"kind": "school_session", "scheduled_on": day(3)},
        status=201, events=[("group_activity.scheduled", None)],
    )  # fmt: skip
    sid = school["group_activity_id"]
    cancelled = await api.call(
        "POST", f"/v1/group-activities/{sid}/cancel", {"cancelled_on": day()}, status=200,
        events=[("group_activity.cancelled", sid)],
    )  # fmt: skip
    assert (cancelled["status"], cancelled["attendees"]) == ("cancelled", None)
    # counts only for a held activity, and never negative
    await api.call(
        "POST", f"/v1/group-activities/{sid}/hold",
        {"held_on": day(), "anonymous_attendees": 20}, status=409,
    )  # fmt: skip
    page = await api.get("/v1/group-activities", status="held")
    assert ids(page, "group_activity_id") == [gid] and page["total"] == 1
    records = await api.get(f"/v1/persons/{ref}/records")
    assert [a["group_activity_id"] for a in records["records"]["group_activities"]] == [gid]


# --- the rules, through the API ----------------------------------------------------------


async def test_invariants_answer_problems(employment: Employment) -> None:
    api = employment.api("p43")
    agreement = await api.call(
        "POST", "/v1/company-agreements", agreement_body(), status=201,
        events=[("company_agreement.signed", None)],
    )  # fmt: skip
    aid = agreement["company_agreement_id"]

    # a hire needs a first contact, and cannot start before it
    problem = await api.call("POST", "/v1/hires", hire_body("NVRSEN80A01Z100X"), status=409)
    assert problem["code"] == "hire_before_first_contact"
    await api.call(
        "POST", "/v1/consultations", consultation_body("NVRSEN80A01Z100X", held_on=day(-5)),
        status=201, events=[("consultation.recorded", None)],
    )  # fmt: skip
    problem = await api.call("POST", "/v1/hires", hire_body("NVRSEN80A01Z100X"), status=409)
    assert problem["code"] == "hire_before_first_contact" and day(-5) in problem["detail"]
    # an earlier contact (an enrolment) moves the first contact back: now the hire fits
    await api.call(
        "POST", "/v1/enrolments", enrolment_body("NVRSEN80A01Z100X", starts_on=day(-40),
                                                 ends_on=day(-30)),
        status=201, events=[("enrolment.started", None)],
    )  # fmt: skip
    await api.call(
        "POST", "/v1/hires", hire_body("NVRSEN80A01Z100X"), status=201,
        events=[("hire.recorded", None)],
    )  # fmt: skip

    # one open internship per person
    first = await api.call(
        "POST", "/v1/internships", internship_body("NVRSEN80A01Z100X", aid), status=201,
        events=[("internship.started", None)],
    )  # fmt: skip
    problem = await api.call(
        "POST", "/v1/internships",
        internship_body("NVRSEN80A01Z100X", aid, started_on=day(-30)), status=409,
    )  # fmt: skip
    assert problem["code"] == "internship_already_open"
    iid = first["internship_id"]

    # the outcome only after the end, on or after it, and once
    problem = await api.call(
        "POST", f"/v1/internships/{iid}/outcome", {"outcome": "hired", "recorded_on": day()},
        status=409,
    )  # fmt: skip
    assert problem["code"] == "outcome_before_end"
    await api.call(
        "POST", f"/v1/internships/{iid}/end", {"ended_on": day(-25)}, status=200,
        events=[("internship.ended", iid)],
    )  # fmt: skip
    problem = await api.call(
        "POST", f"/v1/internships/{iid}/outcome",
        {"outcome": "not_hired", "recorded_on": day(-26)}, status=409,
    )  # fmt: skip
    assert problem["code"] == "outcome_before_end"
    problem = await api.call(
        "POST", f"/v1/internships/{iid}/outcome",
        {"outcome": "interrupted", "recorded_on": day(-25)}, status=422,
    )  # fmt: skip
    assert "interrupted" in problem["detail"]
    body = {"outcome": "interrupted", "interrupted_by": "company", "recorded_on": day(-25)}
    await api.call(
        "POST", f"/v1/internships/{iid}/outcome", body, status=200,
        events=[("internship.outcome_recorded", iid)],
    )  # fmt: skip
    await api.call("POST", f"/v1/internships/{iid}/outcome", body, status=200)  # a retry
    problem = await api.call(
        "POST", f"/v1/internships/{iid}/outcome", {"outcome": "hired", "recorded_on": day()},
        status=409,
    )  # fmt: skip
    assert problem["code"] == "outcome_already_recorded"
    # the internship has ended: another one may start
    await api.call(
        "POST", "/v1/internships",
        internship_body("NVRSEN80A01Z100X", aid, started_on=day(-20), planned_end_on=day(40)),
        status=201, events=[("internship.started", None)],
    )  # fmt: skip

    # dates and states
    problem = await api.call(
        "POST", "/v1/internships",
        internship_body("SCNDPR80A01Z100Y", aid, started_on=day(-300)), status=422,
    )  # fmt: skip
    assert problem["code"] == "invalid_dates"
    await api.call(
        "POST", f"/v1/company-agreements/{aid}/end", {"ended_on": day(-1)}, status=200,
        events=[("company_agreement.ended", aid)],
    )  # fmt: skip
    problem = await api.call(
        "POST", "/v1/internships",
        internship_body("SCNDPR80A01Z100Y", aid, started_on=day(), planned_end_on=day(30)),
        status=422,
    )  # fmt: skip
    assert "agreement ended" in problem["detail"]
    problem = await api.call(
        "POST", f"/v1/company-agreements/{aid}/end", {"ended_on": day()}, status=409
    )
    assert problem["code"] == "invalid_transition"
    profile = await api.call(
        "POST", "/v1/skills-profiles", {**who("NVRSEN80A01Z100X"), **assessment_body()},
        status=422,
    )  # fmt: skip
    assert "sex" in json.dumps(profile)  # coarse attributes are not part of a profile
    body = {"person_identifier": "NVRSEN80A01Z100X", **assessment_body()}
    profile = await api.call(
        "POST", "/v1/skills-profiles", body, status=201,
        events=[("skills_profile.assessed", None)],
    )  # fmt: skip
    problem = await api.call(
        "POST", "/v1/skills-profiles",
        {**body, "assessed_on": day(-1)}, status=409,
    )  # fmt: skip
    assert "already has a skills profile" in problem["detail"]
    problem = await api.call(
        "POST", f"/v1/skills-profiles/{profile['skills_profile_id']}/assessments",
        assessment_body(assessed_on=day(-200), italian_assessed_on=day(-200)), status=422,
    )  # fmt: skip
    assert problem["code"] == "invalid_dates"


async def test_internships_one_at_a_time_on_the_dates_in_any_order(
    employment: Employment,
) -> None:
    """An internship of the past, recorded with its end while a later one is open, is
    accepted; one sharing a day with another is refused, naming it and its dates."""
    api = employment.api("p39")
    agreement = await api.call(
        "POST", "/v1/company-agreements", agreement_body(signed_on="2019-01-01"), status=201,
        events=[("company_agreement.signed", None)],
    )  # fmt: skip
    aid = agreement["company_agreement_id"]
    who_ = "RSSMRA80A01H501U"
    later = await api.call(
        "POST", "/v1/internships", internship_body(who_, aid, started_on="2019-06-01"),
        status=201, events=[("internship.started", None)],
    )  # fmt: skip
    past = {"started_on": "2019-02-01", "planned_end_on": "2019-05-01", "ended_on": "2019-06-01"}
    earlier = await api.call(
        "POST", "/v1/internships", internship_body(who_, aid, **past), status=201,
        events=[("internship.started", None), ("internship.ended", None)],
    )  # fmt: skip
    assert (earlier["status"], earlier["ended_on"]) == ("ended", "2019-06-01")
    before = await employment.counts()
    for start, end in (("2019-01-01", "2019-02-02"), ("2019-05-31", None)):
        body = internship_body(who_, aid, started_on=start, ended_on=end)
        refused = await api.call("POST", "/v1/internships", body, status=409)
        assert refused["code"] == "internship_already_open"
        assert (
            f"internship {earlier['internship_id']} from 2019-02-01 to 2019-06-01"
            in refused["detail"]
        ), refused["detail"]
    overlapping_open = internship_body(who_, aid, started_on="2019-07-01", ended_on="2019-08-01")
    refused = await api.call("POST", "/v1/internships", overlapping_open, status=409)
    assert f"active internship {later['internship_id']} from 2019-06-01" in refused["detail"]
    assert await employment.counts() == before
    # ending it, or recording its outcome, is the same as for one started and ended
    await api.call(
        "POST", f"/v1/internships/{earlier['internship_id']}/outcome",
        {"outcome": "not_hired", "recorded_on": "2019-06-01"}, status=200,
        events=[("internship.outcome_recorded", earlier["internship_id"])],
    )  # fmt: skip


async def test_creates_with_client_ids_are_safe_to_retry(employment: Employment) -> None:
    api = employment.api("p44")
    chosen = str(uuid.uuid4())
    body = consultation_body("RTRYRT80A01Z100Q", consultation_id=chosen)
    first = await api.call(
        "POST", "/v1/consultations", body, status=201, events=[("consultation.recorded", chosen)]
    )
    again = await api.call("POST", "/v1/consultations", body, status=201)
    assert again == first
    problem = await api.call("POST", "/v1/consultations", {**body, "minutes": 46}, status=409)
    assert problem["code"] == "already_exists"


async def test_lists_filter_by_person_period_and_status(employment: Employment) -> None:
    api = employment.api("p45")
    made = []
    for identifier, held_on, topic in (
        ("LSTAAA80A01Z100A", day(-40), "job_search"),
        ("LSTAAA80A01Z100A", day(-20), "cv_and_applications"),
        ("LSTBBB80A01Z100B", day(-10), "job_search"),
    ):
        made.append(await api.call(
            "POST", "/v1/consultations",
            consultation_body(identifier, held_on=held_on, topic=topic), status=201,
            events=[("consultation.recorded", None)],
        ))  # fmt: skip
    c = [m["consultation_id"] for m in made]
    a_ref = made[0]["person_ref"]
    everything = await api.get("/v1/consultations")
    assert ids(everything, "consultation_id") == c[::-1] and everything["total"] == 3
    assert ids(await api.get("/v1/consultations", person_ref=a_ref), "consultation_id") == [
        c[1], c[0],
    ]  # fmt: skip
    assert ids(await api.get("/v1/consultations", topic="job_search"), "consultation_id") == [
        c[2], c[0],
    ]  # fmt: skip
    period = await api.get("/v1/consultations", **{"from": day(-30), "to": day(-10)})
    assert ids(period, "consultation_id") == [c[2], c[1]]
    second_page = await api.get("/v1/consultations", limit=2, offset=2)
    assert ids(second_page, "consultation_id") == [c[0]] and second_page["total"] == 3
    await api.call("GET", "/v1/consultations", params={"from": day(), "to": day(-1)}, status=422)

    agreement = await api.call(
        "POST", "/v1/company-agreements", agreement_body(sector="N"), status=201,
        events=[("company_agreement.signed", None)],
    )  # fmt: skip
    aid = agreement["company_agreement_id"]
    open_one = await api.call(
        "POST", "/v1/internships", internship_body("LSTAAA80A01Z100A", aid, started_on=day(-15),
                                                   planned_end_on=day(60)),
        status=201, events=[("internship.started", None)],
    )  # fmt: skip
    ended = await api.call(
        "POST", "/v1/internships", internship_body("LSTBBB80A01Z100B", aid), status=201,
        events=[("internship.started", None)],
    )  # fmt: skip
    await api.call(
        "POST", f"/v1/internships/{ended['internship_id']}/end", {"ended_on": day(-20)},
        status=200, events=[("internship.ended", ended["internship_id"])],
    )  # fmt: skip
    assert ids(await api.get("/v1/internships", status="open"), "internship_id") == [
        open_one["internship_id"]
    ]
    assert ids(await api.get("/v1/internships", **{"from": day(-100), "to": day(-50)}),
               "internship_id") == [ended["internship_id"]]  # fmt: skip
    by_agreement = await api.get("/v1/internships", company_agreement_id=aid)
    assert by_agreement["total"] == 2
    assert (await api.get("/v1/company-agreements", sector="N"))["total"] == 1
    assert (await api.get("/v1/company-agreements", sector="I"))["total"] == 0
    assert (await api.get("/v1/company-agreements", active=False))["total"] == 0

    enrolment = await api.call(
        "POST", "/v1/enrolments", enrolment_body("LSTBBB80A01Z100B"), status=201,
        events=[("enrolment.started", None)],
    )  # fmt: skip
    await api.call(
        "POST", f"/v1/enrolments/{enrolment['enrolment_id']}/drop", {"dropped_on": day(-89)},
        status=200, events=[("enrolment.dropped", enrolment["enrolment_id"])],
    )  # fmt: skip
    assert (await api.get("/v1/enrolments", status="dropped"))["total"] == 1
    assert (await api.get("/v1/enrolments", status="completed"))["total"] == 0
    hire = await api.call(
        "POST", "/v1/hires",
        hire_body("LSTBBB80A01Z100B", contract_type="permanent", ends_on=None), status=201,
        events=[("hire.recorded", None)],
    )  # fmt: skip
    assert ids(await api.get("/v1/hires", contract_type="permanent"), "hire_id") == [
        hire["hire_id"]
    ]
    assert (await api.get("/v1/hires", status="ended"))["total"] == 0
    assert (await api.get("/v1/skills-profiles"))["total"] == 0


# --- bad input ---------------------------------------------------------------------------


@dataclass
class Bad:
    label: str
    method: str
    path: str
    body: Any = None
    about: str = ""
    status: int = 422
    params: dict[str, Any] | None = None


async def test_bad_input_is_refused_clearly_and_writes_nothing(employment: Employment) -> None:
    api = employment.api("p46")
    agreement = await api.call(
        "POST", "/v1/company-agreements", agreement_body(), status=201,
        events=[("company_agreement.signed", None)],
    )  # fmt: skip
    aid = agreement["company_agreement_id"]
    group = await api.call(
        "POST", "/v1/group-activities", {"kind": "school_session", "scheduled_on": day()},
        status=201, events=[("group_activity.scheduled", None)],
    )  # fmt: skip
    gid = group["group_activity_id"]
    internship = await api.call(
        "POST", "/v1/internships", internship_body("BDNPTT80A01Z100Z", aid), status=201,
        events=[("internship.started", None)],
    )  # fmt: skip
    iid = internship["internship_id"]
    CO, GA, SP, AG = (
        "/v1/consultations",
        "/v1/group-activities",
        "/v1/skills-profiles",
        ("/v1/company-agreements"),
    )
    EN, IN, HI = "/v1/enrolments", "/v1/internships", "/v1/hires"
    cons = consultation_body("BDNPTT80A01Z100Z")
    none = {"person_identifier": None}
    cases = [
        Bad("unknown topic", "POST", CO, {**cons, "topic": "housing"}, "topic"),
        Bad("zero minutes", "POST", CO, {**cons, "minutes": 0}, "minutes"),
        Bad("a day of minutes", "POST", CO, {**cons, "minutes": 1440}, "minutes"),
        Bad("worker's name as role", "POST", CO, {**cons, "worker_role": "Anna"}, "worker_role"),
        Bad("free-text notes", "POST", CO, {**cons, "notes": "he cried"}, "notes"),
        Bad("both person fields", "POST", CO, {**cons, "person_ref": "ab" * 32}, "exactly one"),
        Bad("no person", "POST", CO, {**cons, **none}, "exactly one"),
        Bad("uppercase ref", "POST", CO, {**cons, **none, "person_ref": "AB" * 32}, "person_ref"),
        Bad("year 1900", "POST", CO, {**cons, "held_on": "1900-01-01"}, "held_on"),
        Bad("impossible date", "POST", CO, {**cons, "held_on": "2025-02-30"}, "held_on"),
        Bad("body is a list", "POST", CO, [cons], ""),
        Bad("unknown kind", "POST", GA, {"kind": "party", "scheduled_on": day()}, "kind"),
        Bad("negative attendees", "POST", f"{GA}/{gid}/hold",
            {"held_on": day(), "anonymous_attendees": -1}, "anonymous_attendees"),
        Bad("nobody attended", "POST", f"{GA}/{gid}/hold", {"held_on": day()}, "cancel"),
        Bad("attendee twice", "POST", f"{GA}/{gid}/hold",
            {"held_on": day(), "registered_attendees": [{"person_ref": "ab" * 32}] * 2},
            "twice"),
        Bad("attendee as a name", "POST", f"{GA}/{gid}/hold",
            {"held_on": day(), "registered_attendees": ["Amina"]}, "registered_attendees"),
        Bad("hold: unknown id", "POST", f"{GA}/{uuid.uuid4()}/hold",
            {"held_on": day(), "anonymous_attendees": 3}, "not found", 404),
        Bad("hold: malformed id", "POST", f"{GA}/42/hold",
            {"held_on": day(), "anonymous_attendees": 3}, "group_activity_id"),
        Bad("level B3", "POST", SP, {**none, "person_ref": "ab" * 32,
                                     **assessment_body(italian_level="b3")}, "italian_level"),
        Bad("language name", "POST", SP, {"person_ref": "ab" * 32,
                                          **assessment_body(other_languages=["English"])},
            "other_languages"),
        Bad("italian after profile", "POST", SP, {"person_ref": "ab" * 32,
                                                  **assessment_body(italian_assessed_on=day())},
            "italian"),
        Bad("sector as a code", "POST", AG, agreement_body(sector="56.10"), "sector"),
        Bad("empty company", "POST", AG, agreement_body(company_name=""), "company_name"),
        Bad("NUL in company", "POST", AG, agreement_body(company_name="A\x00B"), "company_name"),
        Bad("expires before signing", "POST", AG, agreement_body(valid_until=day(-300)),
            "expire"),
        Bad("end: unknown id", "POST", f"{AG}/{uuid.uuid4()}/end", {"ended_on": day()},
            "not found", 404),
        Bad("course ends first", "POST", EN,
            enrolment_body("BDNPTT80A01Z100Z", ends_on=day(-91)), "before it starts"),
        Bad("zero hours", "POST", EN, enrolment_body("BDNPTT80A01Z100Z", hours=0), "hours"),
        Bad("unknown agreement", "POST", IN,
            internship_body("SCNDBD80A01Z100Z", str(uuid.uuid4())), "not found", 404),
        Bad("stipend too high", "POST", IN,
            internship_body("SCNDBD80A01Z100Z", aid, monthly_stipend_eur=5000),
            "monthly_stipend_eur"),
        Bad("planned end first", "POST", IN,
            internship_body("SCNDBD80A01Z100Z", aid, planned_end_on=day(-81)), "planned end"),
        Bad("unknown outcome", "POST", f"{IN}/{iid}/outcome",
            {"outcome": "promoted", "recorded_on": day()}, "outcome"),
        Bad("end before start", "POST", f"{IN}/{iid}/end", {"ended_on": day(-81)},
            "before it started"),
        Bad("no sector", "POST", HI, hire_body("BDNPTT80A01Z100Z", sector=None), "sector"),
        Bad("permanent with an end", "POST", HI,
            hire_body("BDNPTT80A01Z100Z", contract_type="permanent"), "permanent"),
        Bad("fixed term without end", "POST", HI,
            hire_body("BDNPTT80A01Z100Z", ends_on=None), "end date"),
        Bad("70 hours a week", "POST", HI,
            hire_body("BDNPTT80A01Z100Z", weekly_hours=70), "weekly_hours"),
        Bad("someone else's internship", "POST", HI,
            hire_body("SCNDBD80A01Z100Z", internship_id=iid), "another person"),
        Bad("limit 0", "GET", CO, params={"limit": 0}, about="limit"),
        Bad("period filter", "GET", HI, params={"from": "last week"}, about="from"),
        Bad("status filter", "GET", IN, params={"status": "paused"}, about="status"),
        Bad("person filter", "GET", EN, params={"person_ref": "RSSMRA80A01H501U"},
            about="person_ref"),
        Bad("records of a tax code", "GET", "/v1/persons/RSSMRA80A01H501U/records",
            about="person_ref"),
    ]  # fmt: skip
    failures = []
    for case in cases:
        before = await employment.counts()
        response = await employment.service.client.request(
            case.method, case.path, json=case.body, params=case.params, headers=api.headers
        )
        name = f"{case.label} ({case.method} {case.path})"
        answer = response.json()
        if response.status_code != case.status:
            failures.append(f"{name}: {response.status_code} (expected {case.status}) {answer}")
        elif response.headers["content-type"] != "application/problem+json":
            failures.append(f"{name}: content type {response.headers['content-type']}")
        elif answer.get("status") != case.status or not answer.get("detail"):
            failures.append(f"{name}: not a problem document: {answer}")
        elif case.about.lower() not in response.text.lower():
            failures.append(f"{name}: answer does not mention {case.about!r}: {answer}")
        if "BDNPTT80A01Z100Z" in response.text or "SCNDBD80A01Z100Z" in response.text:
            failures.append(f"{name}: the answer repeats a person identifier")
        if await employment.counts() != before:
            failures.append(f"{name}: something was written")
    assert not failures, "\n".join(failures)
    # valid JSON that is not valid text: a lone UTF-16 surrogate in a name
    before = await employment.counts()
    raw = json.dumps(agreement_body(company_name="X")).replace('"X"', '"\\ud800"').encode()
    response = await employment.service.client.post(
        AG, content=raw, headers={**api.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert "company_name" in response.text
    assert await employment.counts() == before


# --- privacy -----------------------------------------------------------------------------


async def test_identifiers_company_names_and_courses_never_leave(employment: Employment) -> None:
    api = employment.api("p47")
    identifier = "prvcyp 80a01-z100p"
    agreement = await api.call(
        "POST", "/v1/company-agreements", agreement_body(), status=201,
        events=[("company_agreement.signed", None)],
    )  # fmt: skip
    await api.call(
        "POST", "/v1/consultations", consultation_body(identifier), status=201,
        events=[("consultation.recorded", None)],
    )  # fmt: skip
    await api.call(
        "POST", "/v1/enrolments", enrolment_body(identifier.upper()), status=201,
        events=[("enrolment.started", None)],
    )  # fmt: skip
    await api.call(
        "POST", "/v1/internships", internship_body(identifier, agreement["company_agreement_id"]),
        status=201, events=[("internship.started", None)],
    )  # fmt: skip
    await api.call(
        "POST", "/v1/hires", hire_body(identifier, company_agreement_id=agreement[
            "company_agreement_id"], sector=None), status=201, events=[("hire.recorded", None)],
    )  # fmt: skip
    outbox = json.dumps(api.sent)
    assert len(api.sent) == 5
    for secret in (identifier, normalise_identifier(identifier), COMPANY, COURSE,
                   "Ente Scuola Bottega"):  # fmt: skip
        assert secret.lower() not in outbox.lower()
    stored = await employment.db.fetch("SELECT * FROM consultations WHERE partner_id = 'p47'")
    assert normalise_identifier(identifier) not in repr([dict(r) for r in stored])


# --- partner isolation -------------------------------------------------------------------


async def test_other_partners_see_nothing_and_change_nothing(employment: Employment) -> None:
    owner, neighbour = employment.api("p48"), employment.api("p40")
    agreement = await owner.call(
        "POST", "/v1/company-agreements", agreement_body(), status=201,
        events=[("company_agreement.signed", None)],
    )  # fmt: skip
    aid = agreement["company_agreement_id"]
    consultation = await owner.call(
        "POST", "/v1/consultations", consultation_body("SLTPRT80A01Z100S"), status=201,
        events=[("consultation.recorded", None)],
    )  # fmt: skip
    ref = consultation["person_ref"]
    group = await owner.call(
        "POST", "/v1/group-activities", {"kind": "orientation_group", "scheduled_on": day()},
        status=201, events=[("group_activity.scheduled", None)],
    )  # fmt: skip
    profile = await owner.call(
        "POST", "/v1/skills-profiles", {"person_ref": ref, **assessment_body()}, status=201,
        events=[("skills_profile.assessed", None)],
    )  # fmt: skip
    enrolment = await owner.call(
        "POST", "/v1/enrolments", enrolment_body("SLTPRT80A01Z100S"), status=201,
        events=[("enrolment.started", None)],
    )  # fmt: skip
    internship = await owner.call(
        "POST", "/v1/internships", internship_body("SLTPRT80A01Z100S", aid), status=201,
        events=[("internship.started", None)],
    )  # fmt: skip
    hire = await owner.call(
        "POST", "/v1/hires", hire_body("SLTPRT80A01Z100S"), status=201,
        events=[("hire.recorded", None)],
    )  # fmt: skip
    resources = {
        "consultations": consultation["consultation_id"],
        "group-activities": group["group_activity_id"],
        "skills-profiles": profile["skills_profile_id"],
        "company-agreements": aid,
        "enrolments": enrolment["enrolment_id"],
        "internships": internship["internship_id"],
        "hires": hire["hire_id"],
    }
    commands: list[tuple[str, dict[str, Any]]] = [
        (f"/v1/group-activities/{group['group_activity_id']}/hold",
         {"held_on": day(), "anonymous_attendees": 3}),
        (f"/v1/group-activities/{group['group_activity_id']}/cancel", {"cancelled_on": day()}),
        (f"/v1/skills-profiles/{profile['skills_profile_id']}/assessments", assessment_body()),
        (f"/v1/company-agreements/{aid}/end", {"ended_on": day()}),
        (f"/v1/enrolments/{enrolment['enrolment_id']}/complete", {"completed_on": day()}),
        (f"/v1/enrolments/{enrolment['enrolment_id']}/drop", {"dropped_on": day()}),
        (f"/v1/internships/{internship['internship_id']}/extend", {"planned_end_on": day()}),
        (f"/v1/internships/{internship['internship_id']}/end", {"ended_on": day()}),
        (f"/v1/internships/{internship['internship_id']}/outcome",
         {"outcome": "hired", "recorded_on": day()}),
        (f"/v1/hires/{hire['hire_id']}/end", {"ended_on": day(), "reason": "other"}),
        ("/v1/internships", internship_body("NGHBRR80A01Z100N", aid)),
        ("/v1/hires", hire_body("NGHBRR80A01Z100N", company_agreement_id=aid, sector=None)),
    ]  # fmt: skip
    before = await employment.counts()
    secrets = [*resources.values(), ref, COMPANY]
    covered: set[tuple[str, str]] = set()
    # the neighbour (served by the same instance): reads and changes answer 404, lists are empty
    for kind, resource_id in resources.items():
        answer = await neighbour.call("GET", f"/v1/{kind}/{resource_id}", status=404)
        assert resource_id in answer["detail"]
        covered |= {("get", f"/v1/{kind}/{resource_id}"), ("get", f"/v1/{kind}")}
        page = await neighbour.get(f"/v1/{kind}")
        assert (page["items"], page["total"]) == ([], 0), kind
        filtered = await neighbour.get(f"/v1/{kind}", **(
            {"person_ref": ref} if kind not in ("group-activities", "company-agreements") else {}
        ))  # fmt: skip
        assert filtered["total"] == 0
    for path, body in commands:
        await neighbour.call("POST", path, body, status=404)
        covered.add(("post", path))
    records = await neighbour.get(f"/v1/persons/{ref}/records")
    covered.add(("get", f"/v1/persons/{ref}/records"))
    assert all(items == [] for items in records["records"].values())
    assert await employment.counts() == before
    # a partner the instance does not serve, the consortium, no staff role: 403; no token: 401
    for headers in (
        auth_header("p49"),
        auth_header("consortium", "consortium_analyst"),
        auth_header("p48", "integrator"),
    ):
        for kind, resource_id in resources.items():
            for path in (f"/v1/{kind}", f"/v1/{kind}/{resource_id}"):
                response = await employment.service.client.get(path, headers=headers)
                assert response.status_code == 403, (path, headers, response.text)
                assert not any(s in response.text for s in secrets)
        response = await employment.service.client.post(
            commands[0][0], json=commands[0][1], headers=headers
        )
        assert response.status_code == 403
    assert (await employment.service.client.get("/v1/hires")).status_code == 401
    assert await employment.counts() == before
    # every read, and every operation naming a resource (in its path or body), was tried
    document = (await employment.service.client.get("/openapi.json")).json()
    naming = {
        (method, re.sub(r"\{[a-z_]+\}", "{}", path))
        for path, item in document["paths"].items()
        for method in item
        if path.startswith("/v1/")
        and not path.startswith("/v1/imports")  # the coordinator's: tests/test_imports.py
        and ("{" in path or method == "get" or path in ("/v1/internships", "/v1/hires"))
    }
    tried = {(m, re.sub(r"[0-9a-f]{64}|[0-9a-f-]{36}", "{}", p)) for m, p in covered}
    assert naming == tried, naming ^ tried
    assert len(naming) >= 20
    # the owner's resources are untouched
    assert (await owner.get(f"/v1/internships/{internship['internship_id']}")) == internship
    assert (await owner.get(f"/v1/company-agreements/{aid}"))["ended_on"] is None
