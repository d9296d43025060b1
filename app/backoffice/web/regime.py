"""The regime laptops adopt on sync."""

from __future__ import annotations

from fastapi import APIRouter

from app.backoffice.regime import regime_on
from app.backoffice.schemas import RegimeOut
from app.backoffice.timeutil import gb_today
from app.backoffice.web.common import ERROR_RESPONSES
from app.backoffice.web.deps import ClockDep, PrincipalDep, StoreDep

router = APIRouter(prefix="/v1", tags=["regime"], responses=ERROR_RESPONSES)


@router.get(
    "/regime", response_model=RegimeOut, summary="The regime in force today and the next scheduled one"
)
def current_regime(_principal: PrincipalDep, store: StoreDep, clock: ClockDep) -> RegimeOut:
    with store.read() as session:
        return regime_on(session, gb_today(clock()))
