"""``franoi-import`` against a real housing service on PostgreSQL: the partner's IT person
lists the sheets, downloads a template, checks and imports a file, and gets a wrong file's
problems as a CSV report, with the exit status a script relies on."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from franoi_common.importing import cli
from franoi_housing.bootstrap import DEFINITION as HOUSING
from openpyxl import load_workbook

from tests.support import (
    RunningService,
    kafka_settings,
    partner_service_settings,
    running,
    token,
)
from tests.test_imports import UNITS, as_csv

PARTNER = "p47"
ADMIN = "partner_admin"


@pytest.fixture(scope="module")
async def housing(databases: Any) -> AsyncIterator[RunningService]:
    url = await databases.create("housing_import_cli")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    settings = partner_service_settings(url, kafka, [PARTNER], relay_enabled=False)
    async with running(RunningService(HOUSING, settings)) as (service,):
        yield service


async def franoi_import(
    service: RunningService, *args: str, role: str = ADMIN, lang: str = "it"
) -> int:
    """The command in a thread (it is synchronous; the service answers in this loop)."""
    argv = ["--service", service.url, "--token", token(PARTNER, role), "--lang", lang, *args]
    return await asyncio.to_thread(cli.main, argv)


async def test_sheets_and_templates(
    housing: RunningService, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert await franoi_import(housing, "sheets") == 0
    listed = capsys.readouterr().out
    assert listed.splitlines()[0] == "agreements: Accordi abitativi"
    assert listed.index("units: Alloggi") < listed.index("placements: Inserimenti abitativi")
    assert "Posti letto (beds)" in listed and "Codici: " in listed

    target = tmp_path / "units.xlsx"
    assert await franoi_import(housing, "template", "units", "-o", str(target)) == 0
    header = [c.value for c in load_workbook(io.BytesIO(target.read_bytes())).worksheets[0][1]]
    assert header[:3] == ["Riferimento", "Comune (codice catastale)", "Posti letto"]
    csv_target = tmp_path / "units.csv"
    assert (
        await franoi_import(
            housing, "template", "units", "--format", "csv", "-o", str(csv_target), lang="en"
        )
        == 0
    )
    assert csv_target.read_text("utf-8-sig").startswith("Reference,")

    assert await franoi_import(housing, "template", "nope") == 2  # the service knows none
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # not a sheet's name at all: argparse says so
        await franoi_import(housing, "template", "../units")
    assert usage.value.code == 2


async def test_a_file_is_checked_then_imported_with_its_progress(
    housing: RunningService, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    file = tmp_path / "alloggi.csv"
    file.write_bytes(as_csv(UNITS))
    capsys.readouterr()
    assert await franoi_import(housing, "upload", "units", str(file), "--check-only") == 0
    checked = capsys.readouterr()
    assert checked.out.startswith("controllato: nessun problema, nulla scritto")
    assert "100%" in checked.err

    report = tmp_path / "report.csv"
    assert await franoi_import(housing, "upload", "units", str(file), "--report", str(report)) == 0
    done = capsys.readouterr()
    assert done.out.splitlines() == [
        "importato",
        "creati 2 · aggiornati 0 · invariati 0 · rifiutati 0",
    ]
    assert "100% importato" in done.err.splitlines()[-1]
    assert report.read_text("utf-8-sig").splitlines() == ["Riga;Colonna;Problema"]

    assert await franoi_import(housing, "upload", "units", str(file), lang="en") == 0
    assert "unchanged 2" in capsys.readouterr().out  # the same file again changes nothing


async def test_a_wrong_file_exits_1_with_its_report_and_bad_usage_exits_2(
    housing: RunningService, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_bytes(
        as_csv([UNITS[0], ["U9", "L219", "due", "400", "affitto", "private_owner", "", ""]])
    )
    report = tmp_path / "problems.csv"
    capsys.readouterr()
    assert await franoi_import(housing, "upload", "units", str(wrong), "--report", str(report)) == 1
    err = capsys.readouterr().err
    assert "Riga 2, Posti letto: Non è un numero intero" in err
    rows = report.read_text("utf-8-sig").splitlines()
    assert rows[0] == "Riga;Colonna;Problema"
    assert "2;Posti letto;Non è un numero intero" in rows
    assert any(r.startswith("2;Tipo di canone;«affitto» non è un codice ammesso") for r in rows)

    placement = tmp_path / "placements.csv"
    placement.write_bytes(
        as_csv(
            [
                [
                    "ref",
                    "unit_id",
                    "person_identifier",
                    "household_size",
                    "started_on",
                    "sex",
                    "age_band",
                    "protection_status",
                ],
                ["P1", "NOPE", "AAABBB11C22D333E", "1", "2019-02-01", "female", "25-34", "refugee"],
            ]
        )
    )
    assert await franoi_import(housing, "upload", "placements", str(placement), lang="en") == 1
    refused = capsys.readouterr()
    assert refused.out.startswith("refused: nothing written")
    assert "Row 2, Housing unit: No row with this reference" in refused.err

    assert await franoi_import(housing, "upload", "units", str(tmp_path / "missing.csv")) == 2
    assert "cannot read" in capsys.readouterr().err
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04garbage")
    assert await franoi_import(housing, "upload", "units", str(garbage)) == 2
    assert "400" in capsys.readouterr().err
    assert await franoi_import(housing, "sheets", role="social_worker") == 2
    assert "403" in capsys.readouterr().err


async def test_the_token_comes_from_the_environment(
    housing: RunningService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cli.TOKEN_ENV, raising=False)
    assert await asyncio.to_thread(cli.main, ["--service", housing.url, "sheets"]) == 2
    assert cli.TOKEN_ENV in capsys.readouterr().err
    monkeypatch.setenv(cli.TOKEN_ENV, token(PARTNER, ADMIN))
    assert await asyncio.to_thread(cli.main, ["--service", housing.url, "sheets"]) == 0
    assert "units: Alloggi" in capsys.readouterr().out
    unreachable = ["--service", "http://127.0.0.1:1", "sheets"]
    assert await asyncio.to_thread(cli.main, unreachable) == 2
    assert "unreachable" in capsys.readouterr().err
