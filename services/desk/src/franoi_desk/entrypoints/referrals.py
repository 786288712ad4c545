"""Referrals between partners at the desk: the inbox (what other partners referred to this
one, the soonest to expire first, each with its expiry badge), what the partner referred
and how each stands, and one referral with what was sealed to the partner. Accepting and
withdrawing are one button; declining (a reason) and completing (the person registered
here) are the services' own forms (``/record/cases/...``), like every other record."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from franoi_desk.adapters.partner_api import ServiceProblem
from franoi_desk.entrypoints.pages import form_of
from franoi_desk.entrypoints.web import api, partner_names, redirect, render
from franoi_desk.session import bearer_token, current_worker

router = APIRouter(include_in_schema=False)

LISTED = 100
"""Referrals a list shows (the soonest to expire first)."""
MOVES = {"accept": "accepted", "withdraw": "withdrawn"}
"""The one-button moves, and the notice each leaves."""
WAITING = ("proposed",)


@router.get("/referrals", response_class=HTMLResponse)
async def referrals_page(request: Request) -> Response:
    current_worker(request)
    token = await bearer_token(request)
    received, sent, names = await asyncio.gather(
        api(request).get("cases", "/v1/referrals/inbox", token, {"limit": LISTED}),
        api(request).get("cases", "/v1/referrals/sent", token, {"limit": LISTED}),
        partner_names(request, token),
    )
    inbox = received["items"]
    return render(
        request,
        "referrals.html",
        waiting=[r for r in inbox if r["state"] in WAITING],
        answered=[r for r in inbox if r["state"] not in WAITING],
        received_total=received["total"],
        sent=sent["items"],
        sent_total=sent["total"],
        names=names,
    )


async def _render_referral(
    request: Request, referral_id: uuid.UUID, status: int = 200, problem: str | None = None
) -> Response:
    token = await bearer_token(request)
    referral, names = await asyncio.gather(
        api(request).get("cases", f"/v1/referrals/{referral_id}", token),
        partner_names(request, token),
    )
    return render(
        request,
        "referral.html",
        status=status,
        referral=referral,
        names=names,
        done=request.query_params.get("done"),
        problem=problem,
    )


@router.get("/referrals/{referral_id}", response_class=HTMLResponse)
async def referral_page(request: Request, referral_id: uuid.UUID) -> Response:
    current_worker(request)
    return await _render_referral(request, referral_id)


@router.post("/referrals/{referral_id}/{move}")
async def move_referral(request: Request, referral_id: uuid.UUID, move: str) -> Response:
    """Accept a referral to the partner, or withdraw one it made (one button each)."""
    current_worker(request)
    await form_of(request)  # the form's token
    if move not in MOVES:
        return await _render_referral(request, referral_id, status=404)
    token = await bearer_token(request)
    try:
        await api(request).post("cases", f"/v1/referrals/{referral_id}/{move}", token, {})
    except ServiceProblem as problem:
        if problem.status >= 500 or problem.status in (401, 403, 404):
            raise
        return await _render_referral(request, referral_id, problem.status, problem.detail)
    return redirect(f"/referrals/{referral_id}?done={MOVES[move]}")
