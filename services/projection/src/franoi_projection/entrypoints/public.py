"""``/public/v1/key-numbers``: what the consortium publishes, without login, suppressed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from franoi_projection.entrypoints import params
from franoi_projection.entrypoints.indicators import (
    KeyNumbersOut,
    key_numbers_answer,
    key_numbers_download,
)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/public/v1", tags=["public"])

    @router.get("/key-numbers", response_model=KeyNumbersOut, responses=params.DOWNLOADS)
    async def public_key_numbers(
        pool: params.Pool,
        months: params.Period,
        output: params.Output,
        region: params.RegionFilter = None,
    ) -> Any:
        """The network's (or a region's) key numbers, suppressed."""
        where = params.Where(None, region)
        answer = await key_numbers_answer(pool, months, where, output.lang, suppressed=True)
        if output.download:
            return key_numbers_download(answer, output)
        return answer

    return router
