"""What the network's reads share: their query parameters, the period they ask for, and
their CSV or XLSX downloads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import Depends, Query, Response
from franoi_common.api import from_state
from franoi_common.errors import InvalidValue
from franoi_common.persons import PRINTABLE

from franoi_projection.adapters.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Sheet,
    to_csv,
    to_xlsx,
)
from franoi_projection.domain.months import InvalidPeriod, period

Lang = Annotated[Literal["it", "en"], Query(description="Labels and headers: it (default) or en")]
Format = Annotated[
    Literal["json", "csv", "xlsx"] | None, Query(description="json (default), csv or xlsx")
]
Month = Annotated[
    str | None,
    Query(
        pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
        description="YYYY-MM, from 2000-01 to 2100-12",
    ),
]
First = Annotated[
    Month,
    Query(
        alias="from",
        description="The period's first month, YYYY-MM (2000-01 to 2100-12); by default 11"
        " months before its last: 12 months in all",
    ),
]
Last = Annotated[
    Month,
    Query(
        alias="to",
        description="The period's last month, YYYY-MM (2000-01 to 2100-12); by default the"
        " current month",
    ),
]
PartnerFilter = Annotated[str | None, Query(pattern=r"^p[0-9]{2,3}$", description="e.g. p07")]
RegionFilter = Annotated[
    str | None, Query(min_length=1, max_length=40, pattern=PRINTABLE, description="e.g. Lombardia")
]
Pool = Annotated[asyncpg.Pool, Depends(from_state("pool", asyncpg.Pool))]
DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "OK"}
}


@dataclass(frozen=True)
class Months:
    """The period a read asks for: its first and last months (their first days)."""

    first: dt.date
    last: dt.date


def _months(first_month: First = None, last_month: Last = None) -> Months:
    """The 12 months up to this one by default; 422 when not a valid period."""
    try:
        return Months(*period(first_month, last_month, dt.date.today()))
    except InvalidPeriod as exc:
        raise InvalidValue(str(exc)) from exc


Period = Annotated[Months, Depends(_months)]
"""``?from=YYYY-MM&to=YYYY-MM``."""


@dataclass(frozen=True)
class Where:
    """The part of the network a read asks for: a partner, a region, or (neither) all."""

    partner_id: str | None
    region: str | None


def _where(partner_id: PartnerFilter = None, region: RegionFilter = None) -> Where:
    return Where(partner_id, region)


Scope = Annotated[Where, Depends(_where)]
"""``?partner_id=&region=``."""


@dataclass(frozen=True)
class Rendering:
    """How a read is answered: its language, and JSON or a CSV or XLSX download."""

    lang: str
    format: str | None

    @property
    def download(self) -> bool:
        return self.format in ("csv", "xlsx")


def _rendering(lang: Lang = "it", format: Format = None) -> Rendering:
    return Rendering(lang, format)


Output = Annotated[Rendering, Depends(_rendering)]
"""``?lang=it|en&format=json|csv|xlsx``."""


def download(sheet: Sheet, output: Rendering, name: str) -> Response:
    if output.format == "csv":
        body, media, ext = to_csv(sheet, output.lang), CSV_MEDIA_TYPE, "csv"
    else:
        body, media, ext = to_xlsx(sheet, output.lang), XLSX_MEDIA_TYPE, "xlsx"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'},
    )
