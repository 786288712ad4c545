"""Find before create, on a real PostgreSQL: similar-name search, possible duplicates,
registration despite them, consent, and the name index the migrations build.

One cases instance serves several partners; each test works as its own partner. Commands
go through :meth:`OutboxApi.call`, which checks the status and the events appended (a
registration publishes ``person.registered``; nothing else here publishes anything).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_cases.domain.names import name_words, skeleton
from franoi_common.migrations import Migration, MigrationSource, migrate

from tests.support import Databases, Expected, Served, kafka_settings, serving
from tests.test_cases_api import CasesApi, cases_settings

PARTNERS = ("p61", "p62", "p63", "p64", "p65", "p66", "p67", "p68")
TABLES = ("persons", "consents", "name_vocabulary", "access_log", "outbox")
TODAY = dt.date.today()
REASON = "Met both: different mothers, same village"


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


class Api(CasesApi):
    def check_event(self, row: asyncpg.Record) -> None:
        text = json.dumps(row["data"]).lower()
        for secret in ("mohamed", "diallo", "amina", "consent", "processing", "mothers"):
            assert secret not in text, f"{secret} in {row['event_type']}"
        assert set(row["data"]) <= {
            "person_id", "person_ref", "registered_on", "sex", "age_band", "protection_status",
        }  # fmt: skip

    async def register(
        self,
        given: str,
        family: str,
        born_on: str = "1990-01-01",
        status: int = 201,
        events: Expected | None = None,
        **more: Any,
    ) -> Any:
        body = {
            "given_names": given, "family_name": family, "born_on": born_on, "sex": "male",
            "citizenship": "SO", "protection_status": "refugee", **more,
        }  # fmt: skip
        if events is None:
            identified = body.get("tax_code") or body.get("residence_permit_number")
            events = [("person.registered", None)] if status == 201 and identified else []
        return await self.call("POST", "/v1/persons", body, status=status, events=events)

    async def contains(self, name: str) -> list[str]:
        page = await self.call("POST", "/v1/persons/search", {"name": name}, status=200)
        return [f"{p['given_names']} {p['family_name']}" for p in page["items"]]

    async def similar(self, name: str, **criteria: Any) -> list[tuple[str, float]]:
        page = await self.call(
            "POST", "/v1/persons/search", {"name": name, "name_match": "similar", **criteria},
            status=200,
        )  # fmt: skip
        return [(f"{p['given_names']} {p['family_name']}", p["score"]) for p in page["items"]]


Cases = Served[Api]


@pytest.fixture(scope="module")
async def cases(databases: Databases) -> AsyncIterator[Cases]:
    url = await databases.create("cases_search")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    async with serving(CASES, cases_settings(url, kafka, PARTNERS, relay_enabled=False), Api,
                       TABLES) as served:  # fmt: skip
        yield served


# --- similar-name search -------------------------------------------------------------------


async def test_similar_search_tolerates_typos_and_transliterations(cases: Cases) -> None:
    api = cases.api("p61")
    mohamed = await api.register("Mohamed", "Ali", "1990-01-01", tax_code="MHMALI90A01Z345A")
    await api.register("Muhammad", "Ali", "1985-05-05")
    await api.register("Mahmoud", "Ali", "1979-09-09")
    await api.register("Mohammad", "Hassan", "1990-01-01")
    await api.register("Amina", "Diallo", "1995-02-03")
    await api.register("Aminata", "Jalloh", "1997-04-04")
    await api.register("Ngozi", "Okonkwò", "1990-01-01")
    await api.register("Chidi", "Okonkwo", "1985-05-05")
    await api.register("Seydou", "Keita", "1992-02-02")
    await cases.api("p62").register("Mohamed", "Ali", "1990-01-01")  # another partner's

    assert await api.similar("Mohamed Ali") == [
        ("Mohamed Ali", 1.0),  # the same words
        ("Muhammad Ali", 0.95),  # another spelling of one of them
    ]
    assert await api.similar("ali muhammed") == [("Mohamed Ali", 0.95), ("Muhammad Ali", 0.95)]
    assert await api.similar("Mohamd Ali") == [("Mohamed Ali", 0.85)]  # a typo
    # a typo may spell another name: Mohmaed folds as Mahmoud does
    assert await api.similar("Mohmaed") == [("Mahmoud Ali", 0.9), ("Mohamed Ali", 0.7)]
    assert await api.similar("Jallow") == [("Amina Diallo", 0.9), ("Aminata Jalloh", 0.9)]
    assert await api.similar("A. Jallow") == await api.similar("Jallow")  # an initial
    assert await api.similar("amina diallo") == [("Amina Diallo", 1.0), ("Aminata Jalloh", 0.7)]
    # "contains" finds no typo; "similar" finds it (and every Okonkwo is one a typo away)
    assert await api.contains("okonkwa") == []
    assert await api.similar("okonkwa") == [("Chidi Okonkwo", 0.9), ("Ngozi Okonkwò", 0.9)]
    assert await api.similar("Chidi Okonkow") == [("Chidi Okonkwo", 0.85)]
    assert await api.similar("konk") == [("Chidi Okonkwo", 0.5), ("Ngozi Okonkwò", 0.5)]
    assert await api.similar("Kone") == []  # Keita is another family
    assert await api.similar("Ali Zzyzx") == []  # every word must match
    # with the other criteria
    assert await api.similar("Ali", born_on="1985-05-05") == [("Muhammad Ali", 1.0)]
    assert await api.similar("Mohammed", document="mhm-ali-90a01z345a") == [("Mohamed Ali", 0.9)]
    assert await api.similar("Hassan", document="MHMALI90A01Z345A") == []
    # pages keep the order; the total counts every match
    first = await api.call(
        "POST",
        "/v1/persons/search",
        {"name": "mohamed", "name_match": "similar", "limit": 2},
        status=200,
    )
    second = await api.call("POST", "/v1/persons/search",
                            {"name": "mohamed", "name_match": "similar", "limit": 2, "offset": 2},
                            status=200)  # fmt: skip
    names = [p["given_names"] for p in first["items"] + second["items"]]
    assert names == ["Mohamed", "Mohammad", "Muhammad"]
    assert first["total"] == second["total"] == 3
    assert "tax_code" not in first["items"][0]
    # each person shown is a search hit in the access log
    assert (await api.operations_logged(mohamed["person_id"])).count("search_hit") == 6


async def test_similar_search_refuses_a_name_without_letters(cases: Cases) -> None:
    api = cases.api("p61")
    before = await cases.counts()
    for name in ("12345", "%%", "A. B."):
        problem = await api.call(
            "POST", "/v1/persons/search", {"name": name, "name_match": "similar"}, status=422
        )
        assert problem["code"] == "invalid_value"
    problem = await api.call(
        "POST", "/v1/persons/search", {"name": "Ali", "name_match": "fuzzy"}, status=422
    )
    assert problem["code"] == "invalid_request"
    assert await cases.counts() == before


async def test_merged_records_leave_similar_results(cases: Cases) -> None:
    api = cases.api("p63")
    survivor = await api.register("Yusuf", "Warsame", "1988-08-08")
    duplicate = await api.register("Youssef", "Warsame", "1988-08-08")
    assert len(await api.similar("Yousef Warsame")) == 2
    await api.call("POST", f"/v1/persons/{survivor['person_id']}/merge",
                   {"duplicate_person_id": duplicate["person_id"]}, status=200)  # fmt: skip
    assert await api.similar("Yousef Warsame") == [("Yusuf Warsame", 0.95)]


# --- possible duplicates ---------------------------------------------------------------------


async def test_possible_duplicates_and_why(cases: Cases) -> None:
    api = cases.api("p64")
    a = await api.register("Amina", "Diallo", "1995-02-03", sex="female")
    b = await api.register("Aamina", "Diallo", "1996-07-01")
    await api.register("Amina", "Diallo", "1990-02-03")  # born five years earlier
    await api.register("Fatou", "Diallo", "1995-02-03")  # another given name
    f = await api.register("Amina Ada", "Diallo", "1995-02-03")
    e = await api.register("Chidi", "Eze", "1970-01-01", tax_code="ZEECHD70A01Z335W")
    merged = await api.register("Amina", "Jalloh", "1995-02-03")
    await api.call("POST", f"/v1/persons/{a['person_id']}/merge",
                   {"duplicate_person_id": merged["person_id"]}, status=200)  # fmt: skip
    await cases.api("p65").register("Amina", "Diallo", "1995-02-03")  # another partner's

    asked = {"given_names": "Amina", "family_name": "Jalloh", "born_on": "1995-02-03",
             "tax_code": "zeechd 70a01 z335w"}  # fmt: skip
    found = await api.call("POST", "/v1/persons/duplicates", asked, status=200)
    assert found["total"] == 4
    assert [(c["person_id"], c["reasons"], c["score"]) for c in found["candidates"]] == [
        (e["person_id"], ["same_document"], 0.0),
        (f["person_id"], ["similar_name_same_birth_date"], 0.95),
        (a["person_id"], ["similar_name_same_birth_date"], 0.95),
        (b["person_id"], ["similar_name_close_birth_year"], 0.9),
    ]
    assert "tax_code" not in found["candidates"][0] and "phone" not in found["candidates"][0]
    assert (await api.operations_logged(b["person_id"]))[-1] == "search_hit"
    none = await api.call("POST", "/v1/persons/duplicates",
                          {"given_names": "Zeudi", "family_name": "Araya", "born_on": "2001-01-01"},
                          status=200)  # fmt: skip
    assert none == {"candidates": [], "total": 0}
    for bad in (
        {**asked, "born_on": "soon"},
        {**asked, "tax_code": "AB-1"},
        {"given_names": "Amina", "born_on": "1995-02-03"},
        {**asked, "notes": "x"},
    ):
        problem = await api.call("POST", "/v1/persons/duplicates", bad, status=422)
        assert "ZEECHD" not in json.dumps(problem).upper()


async def test_registration_checked_for_duplicates_needs_a_reason(cases: Cases) -> None:
    api = cases.api("p66")
    first = await api.register("Abdirahman", "Farah", "1993-03-03", tax_code="FRHBDR93C03Z345B")
    await api.register("Abdulrahman", "Farah", "1994-06-06")
    before = await cases.counts()
    problem = await api.register("Abdurahman", "Farah", "1993-03-03", status=409,
                                 check_duplicates=True)  # fmt: skip
    assert problem["code"] == "possible_duplicate"
    assert "2 record" in problem["detail"] and "Farah" not in problem["detail"]
    assert await cases.counts() == before  # nothing written, nothing logged
    # the same document stays a hard refusal, whatever the reason
    problem = await api.register("Zeudi", "Araya", "2001-01-01", status=409,
                                 check_duplicates=True, duplicate_reason=REASON,
                                 tax_code="FRHBDR93C03Z345B")  # fmt: skip
    assert problem["code"] == "person_already_registered"
    # a reason lets it through, and is kept
    chosen = str(uuid.uuid4())
    body: dict[str, Any] = {
        "person_id": chosen,
        "check_duplicates": True,
        "duplicate_reason": REASON,
        "residence_permit_number": "PS5550001",
    }
    kept = await api.register("Abdurahman", "Farah", "1993-03-03", **body)
    assert kept["duplicate_reason"] == REASON
    assert (await api.get(f"/v1/persons/{chosen}"))["duplicate_reason"] == REASON
    again = await api.register("Abdurahman", "Farah", "1993-03-03", events=[], **body)  # retry
    assert again == kept
    assert await api.operations_logged(chosen) == ["register", "read", "read"]
    # without asking for the check, as before
    plain = await api.register("Abdirahman", "Farah", "1993-03-03")
    assert plain["duplicate_reason"] is None
    # a reason must say something
    for reason in ("no", "x" * 301, "tab\there"):
        await api.register("Ali", "Farah", "1993-03-03", status=422, duplicate_reason=reason)
    # nothing similar: the check lets the registration through without a reason
    alone = await api.register("Zeudi", "Araya", "2001-01-01", check_duplicates=True)
    assert alone["duplicate_reason"] is None
    assert first["person_id"] != kept["person_id"]


# --- consent -------------------------------------------------------------------------------


async def test_consent_is_recorded_at_registration_and_changes_are_kept(cases: Cases) -> None:
    api = cases.api("p67")
    given = {"given_on": day(-2), "scopes": ["contact", "processing"]}
    person = await api.register("Halima", "Nur", "1999-09-09", consent=given,
                                tax_code="NURHLM99P49Z345C")  # fmt: skip
    pid = person["person_id"]
    consent = person["consent"]
    assert (consent["given_on"], consent["scopes"], consent["recorded_by"]) == (
        day(-2), ["processing", "contact"], "test-user",
    )  # fmt: skip
    assert (await api.get(f"/v1/persons/{pid}"))["consent"] == consent
    withdrawn = {"given_on": day(), "scopes": []}
    history = await api.call("POST", f"/v1/persons/{pid}/consent", withdrawn, status=200)
    assert [(h["given_on"], h["scopes"]) for h in history] == [
        (day(-2), ["processing", "contact"]), (day(), []),
    ]  # fmt: skip
    assert await api.call("POST", f"/v1/persons/{pid}/consent", withdrawn, status=200) == history
    problem = await api.call(
        "POST",
        f"/v1/persons/{pid}/consent",
        {"given_on": day(-3), "scopes": ["processing"]},
        status=422,
    )
    assert problem["code"] == "invalid_dates"
    for bad in (
        {"given_on": day(1), "scopes": []},
        {"given_on": day(), "scopes": ["marketing"]},
        {"given_on": day(), "scopes": ["contact", "contact"]},
        {"given_on": day(), "scopes": [], "recorded_by": "someone"},
    ):
        await api.call("POST", f"/v1/persons/{pid}/consent", bad, status=422)
    assert await api.get(f"/v1/persons/{pid}/consent") == history
    current = (await api.get(f"/v1/persons/{pid}"))["consent"]
    assert (current["given_on"], current["scopes"]) == (day(), [])
    assert await api.operations_logged(pid) == [
        "register", "read", "record_consent", "read", "read", "read",
    ]  # fmt: skip
    # kept here only: no event, no other table
    outbox = await cases.db.fetch("SELECT data FROM outbox WHERE aggregate_id = $1", pid)
    assert len(outbox) == 1 and "consent" not in json.dumps(outbox[0]["data"])
    # another partner: not found; a registration without consent has none
    other = cases.api("p68")
    await other.call("GET", f"/v1/persons/{pid}/consent", status=404)
    await other.call("POST", f"/v1/persons/{pid}/consent", withdrawn, status=404)
    assert (await other.register("Halima", "Nur", "1999-09-09"))["consent"] is None
    await api.register("Halima", "Nur", status=422, consent={"given_on": day(1), "scopes": []})


# --- the name index in the database ---------------------------------------------------------


NAMES = [
    "Ngozi Okonkwò", "N'Diaye", "N\u2019Diaye Ségou-Traoré", "Aïssatou Sidibé",
    "Søren Łukasz Đorđe", "STRAẞE Æsa Œuvre Þór", "İsmail I\u011fd\u0131r",
    "Abdel-Rahman Al-Khatib", "Mc\u00b4Donald \u02bcAli `x`", "Xaliimo Cabdullaahi",
    "محمد علي", "Zoë Ünal", "ǅemal", "\uff26\uff55\uff4c\uff4c width", "",
]  # fmt: skip


async def test_the_sql_of_the_migration_makes_the_words_and_skeletons_python_makes(
    cases: Cases,
) -> None:
    rnd = random.Random(20260310)
    alphabet = (
        "abcdefghijklmnopqrstuvwxyzABCXYZ éèàòùïÿçñÖÅß'-`øæœłđðþṕ.·1"
        "\u2019\u02bc\u00b4\u0131\u0301\u0308"
    )
    corpus = NAMES + ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 16)))
                      for _ in range(2000)]  # fmt: skip
    rows = await cases.db.fetch(
        "SELECT n, cases_name_words(n) AS w FROM unnest($1::text[]) AS n", corpus
    )
    assert [list(r["w"]) for r in rows] == [name_words(n) for n in corpus]
    words = sorted(
        {w for n in corpus for w in name_words(n)}
        | {"yaya", "yusuf", "dialla", "ouattara", "cecilia", "shah", "abdallah"}
    )
    rows = await cases.db.fetch(
        "SELECT w, cases_name_skeleton(w) AS s FROM unnest($1::text[]) AS w", words
    )
    assert {r["w"]: r["s"] for r in rows} == {w: skeleton(w) for w in words}


@dataclass(frozen=True)
class Before(MigrationSource):
    """A component's migrations up to ``last``."""

    last: int = 0

    def load(self) -> list[Migration]:
        return [m for m in super().load() if m.version <= self.last]


async def test_the_migration_fills_the_name_index_of_earlier_records(
    databases: Databases,
) -> None:
    url = await databases.create("cases_backfill")
    *shared, own = CASES.migrations
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn, [*shared, Before("cases", "franoi_cases", last=2)])
        for partner, pid, given, family in [
            ("p01", uuid.uuid4(), "Mohammed", "Jalloh"),
            ("p01", uuid.uuid4(), "Muhammad N'Diaye", "Diallo"),
            ("p02", uuid.uuid4(), "Ségou", "Traoré"),
        ]:
            await conn.execute(
                "INSERT INTO persons (person_id, partner_id, given_names, family_name,"
                " search_name, born_on, sex, citizenship, protection_status, registered_on)"
                " VALUES ($1, $2, $3, $4, '', '1990-01-01', 'male', 'GN', 'refugee', $5)",
                pid, partner, given, family, TODAY,
            )  # fmt: skip
        applied = await migrate(conn, [*shared, own])
        assert applied[0] == "cases/003_name_search"
        rows = await conn.fetch("SELECT given_names, family_name, name_words FROM persons")
        for row in rows:
            assert list(row["name_words"]) == name_words(f"{row[0]} {row[1]}")
        vocabulary = await conn.fetch("SELECT partner_id, word, skeleton FROM name_vocabulary")
        assert sorted((r[0], r[1], r[2]) for r in vocabulary) == sorted(
            {(p, w, skeleton(w)) for p, names in
             [("p01", "Mohammed Jalloh Muhammad NDiaye Diallo"), ("p02", "Segou Traore")]
             for w in name_words(names)}
        )  # fmt: skip
    finally:
        await conn.close()


async def test_the_vocabulary_follows_corrections_and_erasure(cases: Cases) -> None:
    api = cases.api("p68")
    admin = Api(api.service, api.db, "p68", ("partner_admin",))

    async def vocabulary() -> set[str]:
        rows = await cases.db.fetch("SELECT word FROM name_vocabulary WHERE partner_id = 'p68'")
        return {r["word"] for r in rows}

    before = await vocabulary()
    one = await api.register("Zebulon", "Quixote", "1980-01-01")
    two = await api.register("Zebulon", "Araya", "1981-01-01")
    assert {"zebulon", "quixote", "araya"} <= await vocabulary()
    await api.call("PATCH", f"/v1/persons/{one['person_id']}", {"family_name": "Quixotte"},
                   status=200)  # fmt: skip
    words = await vocabulary()
    assert "quixotte" in words and "quixote" not in words
    assert await api.similar("Quixote") == [("Zebulon Quixotte", 0.9)]
    await admin.call("POST", f"/v1/persons/{one['person_id']}/erase", None, status=200)
    words = await vocabulary()
    assert "quixotte" not in words and "zebulon" in words  # still Zebulon Araya's
    await admin.call("POST", f"/v1/persons/{two['person_id']}/erase", None, status=200)
    assert await vocabulary() == before


async def test_a_list_of_pseudonyms_names_those_persons_only_and_logs_only_them(
    cases: Cases,
) -> None:
    """How a desk names the persons of other services' records (which hold only
    person_ref): exactly those, of the caller's partner, each one logged as shown."""
    api = cases.api("p63")
    shown = await api.register("Yonas", "Tekle", tax_code="TKLYNS99P09Z368L")
    hidden = await api.register("Selam", "Tesfaye", tax_code="TSFSLM95A41Z368X")
    foreign = await cases.api("p64").register("Yonas", "Tekle", tax_code="TKLYNS99P09Z368L")
    page = await api.call(
        "POST",
        "/v1/persons/search",
        {"person_refs": [shown["person_ref"], foreign["person_ref"]]},
        status=200,
    )
    assert [p["person_id"] for p in page["items"]] == [shown["person_id"]]
    assert await api.operations_logged(shown["person_id"]) == ["register", "search_hit"]
    assert await api.operations_logged(hidden["person_id"]) == ["register"]
    none = await api.call("POST", "/v1/persons/search", {"person_refs": []}, status=200)
    assert none["items"] == []
    bad = await api.call("POST", "/v1/persons/search", {"person_refs": ["not-a-ref"]}, status=422)
    assert bad["code"] == "invalid_request"
