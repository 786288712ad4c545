"""A partner's housing history to import: its agreements with estate agencies, its units and
the placements of the past, with their ends and exit outcomes, that every rule of the
housing service accepts.

Each unit's beds are split into lanes, one household size each (a 4-bed flat: a family of
two and two single persons); a lane holds stays one after the other over the five years,
so no unit is ever over capacity. About one person in twelve comes back for a second
stay, always after their first ended, so a person never has two placements on the same
day. The same seed gives the same history.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import heapq
import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from franoi_common.importing.sheets import record_id
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.housing import CounterpartKind, ExitOutcome, RentRegime, UnitProvider

from franoi_benchmarks.desk.records.draw import MUNICIPALITIES

DAY = dt.timedelta(days=1)
FIRST_DAY = dt.date(2020, 1, 1)
LAST_DAY = dt.date(2024, 12, 31)
UNITS_SHARE = 0.04
"""Units among the rows (50,000 rows: 2,000 units, 40 agreements, 47,960 placements)."""
UNITS_PER_AGREEMENT = 50
RETURNING = 0.08
"""Placements of a person who had one before (after it ended)."""
BEDS = (1, 2, 2, 3, 3, 4, 4, 5, 6)
HOUSEHOLDS = (1, 1, 1, 1, 2, 2, 3, 4, 5)
AGENCY = CounterpartKind.ESTATE_AGENCY.value
OUTCOMES: dict[ExitOutcome, int] = {
    ExitOutcome.AUTONOMOUS_RENT: 45,
    ExitOutcome.PUBLIC_HOUSING: 10,
    ExitOutcome.OTHER_PROJECT: 20,
    ExitOutcome.BACK_TO_RECEPTION: 10,
    ExitOutcome.UNKNOWN: 15,
}
"""How the stays ended, in parts of a hundred."""


@dataclass(frozen=True)
class Agreement:
    ref: str
    counterpart_name: str
    signed_on: dt.date


@dataclass(frozen=True)
class Unit:
    ref: str
    agreement_ref: str | None
    municipality_code: str
    beds: int
    monthly_rent_eur: int
    rent_regime: str
    provider: str
    available_from: dt.date


@dataclass(frozen=True)
class Stay:
    ref: str
    unit_ref: str
    person_identifier: str
    household_size: int
    started_on: dt.date
    ended_on: dt.date
    exit_outcome: str
    sex: str
    age_band: str
    protection_status: str


@dataclass(frozen=True)
class History:
    agreements: list[Agreement]
    units: list[Unit]
    stays: list[Stay]

    @property
    def rows(self) -> int:
        return len(self.agreements) + len(self.units) + len(self.stays)


def history(rows: int, seed: int = 7) -> History:
    """``rows`` rows of history: a twenty-fifth of them units, an agreement with an estate
    agency for every fifty units, the rest placements."""
    rnd = random.Random(seed)  # noqa: S311 - made-up data, repeatable from the seed
    n_units = max(1, round(rows * UNITS_SHARE))
    agreements = [
        Agreement(
            f"ACC-{i + 1:03d}",
            f"Agenzia immobiliare {i + 1}",
            FIRST_DAY - dt.timedelta(days=rnd.randint(400, 800)),
        )
        for i in range(max(1, n_units // UNITS_PER_AGREEMENT))
    ]
    n_stays = rows - n_units - len(agreements)
    units: list[Unit] = []
    seen: set[tuple[Any, ...]] = set()
    lanes: list[tuple[str, int]] = []
    for i in range(n_units):
        beds = rnd.choice(BEDS)
        provider = rnd.choice(list(UnitProvider))
        regime = rnd.choice(list(RentRegime))
        agency = provider is UnitProvider.ESTATE_AGENCY_AGREEMENT
        unit = Unit(
            f"ALL-{i + 1:05d}",
            rnd.choice(agreements).ref if agency else None,
            rnd.choice(MUNICIPALITIES),
            beds,
            0 if regime is RentRegime.FREE else rnd.randint(250, 900),
            regime.value,
            provider.value,
            FIRST_DAY - dt.timedelta(days=rnd.randint(0, 400)),
        )
        while _content(unit) in seen:  # the import takes a row equal to another for a repeat
            unit = dataclasses.replace(unit, available_from=unit.available_from - DAY)
        seen.add(_content(unit))
        units.append(unit)
        free = beds
        while free:
            size = min(free, rnd.choice(HOUSEHOLDS))
            lanes.append((unit.ref, size))
            free -= size
    rnd.shuffle(lanes)
    stays = _stays(rnd, lanes, n_stays)
    return History(agreements, units, stays)


def _content(unit: Unit) -> tuple[Any, ...]:
    """What the import compares to find a repeated row: everything but the reference."""
    return dataclasses.astuple(unit)[1:]


def _stays(rnd: random.Random, lanes: Sequence[tuple[str, int]], n: int) -> list[Stay]:
    days = (LAST_DAY - FIRST_DAY).days
    per_lane, extra = divmod(n, len(lanes))
    planned: list[tuple[dt.date, dt.date, str, int]] = []
    for index, (unit_ref, size) in enumerate(lanes):
        count = per_lane + (1 if index < extra else 0)
        if not count:
            continue
        slot = days // count
        if slot < 2:
            raise ValueError(f"{n} placements do not fit in {len(lanes)} lanes of five years")
        for k in range(count):
            begin = FIRST_DAY + dt.timedelta(days=k * slot)
            gap = rnd.randint(0, slot // 6)
            length = rnd.randint(max(1, (slot - gap) * 3 // 5), slot - gap - 1)
            started = begin + dt.timedelta(days=gap)
            planned.append((started, started + dt.timedelta(days=length), unit_ref, size))
    planned.sort()
    outcomes, weights = list(OUTCOMES), list(OUTCOMES.values())
    ended: list[tuple[dt.date, int]] = []  # (end, person) of the stays so far
    persons: list[tuple[str, str, str]] = []
    stays: list[Stay] = []
    for number, (started, ended_on, unit_ref, size) in enumerate(planned, start=1):
        person = None
        if ended and ended[0][0] < started and rnd.random() < RETURNING:
            person = heapq.heappop(ended)[1]
        if person is None:
            person = len(persons)
            persons.append(
                (
                    rnd.choice(list(Sex)).value,
                    rnd.choice(list(AgeBand)[1:]).value,  # adults: the reference person
                    rnd.choice(list(ProtectionStatus)).value,
                )
            )
        heapq.heappush(ended, (ended_on, person))
        sex, age_band, protection = persons[person]
        outcome = rnd.choices(outcomes, weights)[0].value
        stays.append(
            Stay(
                f"INS-{number:06d}",
                unit_ref,
                fake_tax_code(person),
                size,
                started,
                ended_on,
                outcome,
                sex,
                age_band,
                protection,
            )
        )
    return stays


def fake_tax_code(person: int) -> str:
    """A tax code no one has: 16 characters, the surname part ``ZZZ``."""
    return f"ZZZBNC{person:010d}"


# --- as a partner's files, as the API's requests ------------------------------------------

Headers = Mapping[str, Mapping[str, Any]]
"""A sheet's columns by field: ``header`` and ``codes`` (code → label), as
``GET /v1/imports/sheets`` describes them."""


def agreements_file(agreements: Sequence[Agreement], columns: Headers) -> bytes:
    """The agreements as a partner fills the Italian template: ``;``, dates DD/MM/YYYY,
    codes by their labels."""
    return _csv(
        columns,
        ["ref", "counterpart_kind", "counterpart_name", "signed_on"],
        [[a.ref, AGENCY, a.counterpart_name, a.signed_on] for a in agreements],
    )


def units_file(units: Sequence[Unit], columns: Headers) -> bytes:
    fields = ["ref", "agreement_id", "municipality_code", "beds", "monthly_rent_eur",
              "rent_regime", "provider", "available_from"]  # fmt: skip
    return _csv(
        columns, fields, [[getattr(u, _ATTRIBUTE.get(f, f)) for f in fields] for u in units]
    )


def placements_file(stays: Sequence[Stay], columns: Headers) -> bytes:
    fields = ["ref", "unit_id", "person_identifier", "household_size", "started_on",
              "ended_on", "exit_outcome", "sex", "age_band", "protection_status"]  # fmt: skip
    return _csv(
        columns, fields, [[getattr(s, _ATTRIBUTE.get(f, f)) for f in fields] for s in stays]
    )


_ATTRIBUTE = {"agreement_id": "agreement_ref", "unit_id": "unit_ref"}
"""The row's attribute of a column that refers to another row: that row's reference."""


def _csv(columns: Headers, fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([columns[f]["header"] for f in fields])
    for row in rows:
        writer.writerow([_cell(columns[f], v) for f, v in zip(fields, row, strict=True)])
    return out.getvalue().encode("utf-8")


def _cell(column: Mapping[str, Any], value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    codes: Mapping[str, str] = column["codes"]
    return codes.get(value, value) if codes else value


def agreement_body(partner_id: str, agreement: Agreement) -> dict[str, Any]:
    """``POST /v1/agreements``: the row's agreement, with the id its import gives it."""
    return {
        "agreement_id": str(record_id(partner_id, "agreements", agreement.ref)),
        "counterpart_kind": AGENCY,
        "counterpart_name": agreement.counterpart_name,
        "signed_on": agreement.signed_on.isoformat(),
    }


def unit_body(partner_id: str, unit: Unit) -> dict[str, Any]:
    """``POST /v1/units``: the row's unit, with the id its import gives it."""
    agreement = unit.agreement_ref
    return {
        "unit_id": str(record_id(partner_id, "units", unit.ref)),
        "agreement_id": None
        if agreement is None
        else str(record_id(partner_id, "agreements", agreement)),
        "municipality_code": unit.municipality_code,
        "beds": unit.beds,
        "monthly_rent_eur": unit.monthly_rent_eur,
        "rent_regime": unit.rent_regime,
        "provider": unit.provider,
        "available_from": unit.available_from.isoformat(),
    }


def placement_body(partner_id: str, stay: Stay) -> dict[str, Any]:
    """``POST /v1/placements``: the row's stay of the past, recorded with its end at once."""
    return {
        "placement_id": str(record_id(partner_id, "placements", stay.ref)),
        "unit_id": str(record_id(partner_id, "units", stay.unit_ref)),
        "person_identifier": stay.person_identifier,
        "household_size": stay.household_size,
        "started_on": stay.started_on.isoformat(),
        "ended_on": stay.ended_on.isoformat(),
        "exit_outcome": stay.exit_outcome,
        "sex": stay.sex,
        "age_band": stay.age_band,
        "protection_status": stay.protection_status,
    }
