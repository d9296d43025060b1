"""Request-scoped dependencies: the store, the clock and the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.backoffice.db import Store
from app.backoffice.tokens import Principal, authenticate

MAX_TOKEN_CHARS = 512
# Where the guard leaves the caller it authenticated, for the route to reuse.
PRINCIPAL_STATE_KEY = "principal"

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="installerToken",
    description="A per-installer token from `hubcheck-backoffice token create NAME`.",
)


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_clock(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"})


def get_principal(
    store: Annotated[Store, Depends(get_store)],
    clock: Annotated[Callable[[], datetime], Depends(get_clock)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller behind the bearer token; 401 for a missing, unknown, revoked or expired one.

    ``clock`` (the app's) decides expiry.
    """
    if credentials is None or not credentials.credentials:
        raise _unauthorised("authentication required: send 'Authorization: Bearer <token>'")
    token = credentials.credentials
    if len(token) > MAX_TOKEN_CHARS:
        raise _unauthorised("the bearer token is not valid")
    with store.read() as session:
        principal = authenticate(session, token, clock())
    if principal is None:
        raise _unauthorised("the bearer token is not valid (unknown, revoked or expired)")
    return principal


def logged_principal(
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    clock: Annotated[Callable[[], datetime], Depends(get_clock)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, with its name left for the access log line (web/logging.py; never the token).

    A request with a body was already authenticated by the guard before its body was read
    (web/guards.py), which leaves the principal in the request's state: looking the token up
    a second time cost every intake another database round trip.
    """
    principal: Principal | None = getattr(request.state, PRINCIPAL_STATE_KEY, None)
    if principal is None:
        principal = get_principal(store, clock, credentials)
    request.state.installer = principal.name
    return principal


def installer_principal(principal: Annotated[Principal, Depends(logged_principal)]) -> Principal:
    """An installer's (or admin's) caller; 403 for an analyst token, which reads the review only."""
    if principal.is_analyst:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="an analyst token reads the review (/v1/review) and nothing else"
        )
    return principal


def get_reviewer(principal: Annotated[Principal, Depends(logged_principal)]) -> Principal:
    """An analyst or admin caller (every installer's records); 403 for an installer's token."""
    if not principal.may_review:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="the review needs an analyst or admin token (token create NAME --analyst)",
        )
    return principal


def get_admin(principal: Annotated[Principal, Depends(logged_principal)]) -> Principal:
    """An admin caller; 403 for an installer's token."""
    if not principal.is_admin:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="this needs an admin token (token create NAME --admin)"
        )
    return principal


StoreDep = Annotated[Store, Depends(get_store)]
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
PrincipalDep = Annotated[Principal, Depends(installer_principal)]
AnyPrincipalDep = Annotated[Principal, Depends(logged_principal)]
ReviewerDep = Annotated[Principal, Depends(get_reviewer)]
AdminDep = Annotated[Principal, Depends(get_admin)]
