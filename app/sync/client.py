"""The back office's HTTP API as the laptop uses it (docs/API.md), over one httpx connection pool.

Every failure is sorted into one of three kinds, because each needs a different answer
from the sync worker:

* :class:`TransientError` — the network, a timeout, a dropped connection, 5xx, 429, 409:
  put the batch back in the queue and try later (re-sending is safe: idempotency keys);
* :class:`AuthError` — 401/403: stop and tell the installer; retrying will not help;
* :class:`BatchTooLarge` — 413: split the batch.

Per-item refusals inside a 200 batch answer are not errors here: they come back as
results for the worker to mark ``rejected``.
"""

from __future__ import annotations

import ipaddress
import math
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlparse

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
USER_AGENT = "HubCheck-sync/1"


def plain_http_refusal(url: str) -> str | None:
    """Why ``url`` may not be used for the back office, or None when it may.

    A plain ``http://`` address would send the installer's token and customers' device ids
    in clear over the network, so only ``https://`` is accepted, except on this machine
    (loopback: ``localhost``, 127.0.0.0/8, ``::1``) where nothing crosses a network.
    """
    parsed = urlparse(url.strip())
    if parsed.scheme != "http":
        return None
    host = (parsed.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"the back office at {url} is plain http:// on another machine: the token would cross the "
        "network in clear; use its https:// address (and backoffice_ca for a private CA)"
    )


def tls_verify(ca_file: str | None) -> ssl.SSLContext:
    """What httpx verifies the back office's certificate against: ``backoffice_ca`` when set
    (a supplier's own CA, PEM), else the system's trust store."""
    if not ca_file:
        return ssl.create_default_context()  # the operating system's store (httpx's own is certifi's)
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise BackofficeCaError(f"backoffice_ca {ca_file}: cannot be read as PEM certificates ({exc})") from None


class SyncHttpError(Exception):
    """Base of the failures the client reports."""


class TransientError(SyncHttpError):
    """Try again later; ``retry_after`` is the server's hint in seconds, when it gave one."""

    def __init__(self, message: str, retry_after: float | None = None, offline: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.offline = offline


class AuthError(SyncHttpError):
    """The back office refused the token (missing, wrong or revoked)."""


class BatchTooLarge(SyncHttpError):
    """The request body was over the server's limit."""


class JournalUnsupported(SyncHttpError):
    """The back office predates ``POST /v1/journal`` (404): the journal stays on the laptop."""


class BackofficeCaError(SyncHttpError):
    """The ``backoffice_ca`` file cannot be used (missing, unreadable, not PEM)."""


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The back office's answer for one item of a batch, in the order the items were sent."""

    index: int
    key: str | None
    outcome: str  # created | replayed | conflict | invalid
    status: int
    state: str | None
    request_id: str | None
    response_code: str | None
    reason: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class StatusChange:
    seq: int
    idempotency_key: str
    state: str
    request_id: str | None
    response_code: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class StatusPage:
    changes: tuple[StatusChange, ...]
    cursor: int
    more: bool


@dataclass(frozen=True, slots=True)
class JournalReceipt:
    """The back office's answer to a journal upload (docs/API.md, ``POST /v1/journal``)."""

    stored: int
    replayed: int
    conflicts: int
    last_id: int
    intact: bool
    first_broken: str | None
    resend_after: int | None


@dataclass(frozen=True, slots=True)
class InventoryChange:
    """Where an install record's manual inventory change stands at the back office
    (docs/API.md, the install object's ``inventory_change``)."""

    decision: str  # pending | approved | refused
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None  # aware UTC


@dataclass(frozen=True, slots=True)
class RegimeAnswer:
    regime: str
    source: str
    effective_from: str | None


def _retry_after(response: httpx.Response) -> float | None:
    """The server's ``Retry-After`` in seconds from now: delta-seconds or an HTTP date (RFC 9110
    §10.2.3); None when absent or unreadable. A date already past means "now" (0)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is always GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):  # "nan" or "inf" parse as floats but are no usable hint
        return None
    return max(0.0, seconds)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail)[:300] if detail is not None else str(body)[:200]


class BackofficeClient:
    """Thin typed calls; one instance per sync run or per worker (it owns a connection pool)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            verify=tls_verify(ca_file),
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
            if token
            else {"User-Agent": USER_AGENT},
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BackofficeClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._check(self._send(method, path, **kwargs))

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer, whatever its status; a network failure is a :class:`TransientError`."""
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise TransientError(f"cannot reach the back office at {self.base_url}: {exc}", offline=True) from exc
        except httpx.TimeoutException as exc:
            raise TransientError(f"the back office did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"the connection to the back office failed: {type(exc).__name__}: {exc}") from exc

    def _check(self, response: httpx.Response) -> httpx.Response:
        """The response when it is a success; otherwise the failure's kind (see the module)."""
        status = response.status_code
        if status in (401, 403):
            raise AuthError(f"the back office refused the token (HTTP {status}): {_detail(response)}")
        if status == 413:
            raise BatchTooLarge(f"the back office refused the batch as too large: {_detail(response)}")
        if status >= 500 or status in (408, 409, 425, 429):
            raise TransientError(f"the back office answered HTTP {status}: {_detail(response)}", _retry_after(response))
        if status >= 400:
            # A whole-request refusal (not per item) is a client/server disagreement: keep the
            # intents and retry later rather than lose them; the message is kept on each row.
            raise TransientError(f"the back office refused the request (HTTP {status}): {_detail(response)}")
        return response

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise TransientError(f"the back office sent an answer that is not JSON (HTTP {response.status_code})") from exc

    # -- endpoints -------------------------------------------------------------------------
    def health(self) -> bool:
        """True when the service answers at all (no token needed): the 'network is back' probe."""
        try:
            return self._http.get("/v1/health", timeout=3.0).status_code == 200
        except httpx.HTTPError:
            return False

    def post_intents(self, items: Sequence[dict[str, Any]]) -> list[ItemResult]:
        """POST /v1/intents with a batch; each item carries its own idempotency key."""
        body = self._json(self._call("POST", "/v1/intents", json=list(items)))
        return _item_results(body, len(items), "intent")

    def post_installs(self, items: Sequence[dict[str, Any]]) -> list[ItemResult]:
        """POST /v1/installs with a batch of visit records keyed by install_id."""
        body = self._json(self._call("POST", "/v1/installs", json=list(items)))
        return _item_results(body, len(items), "install")

    def pull_status(self, since: int, limit: int = 1000) -> StatusPage:
        body = self._json(self._call("GET", "/v1/status", params={"since": since, "limit": limit}))
        try:
            changes = tuple(
                StatusChange(
                    seq=int(c["seq"]),
                    idempotency_key=str(c["idempotency_key"]),
                    state=str(c["state"]),
                    request_id=c.get("request_id"),
                    response_code=c.get("response_code"),
                    reason=c.get("reason"),
                )
                for c in body["changes"]
            )
            return StatusPage(changes, int(body["cursor"]), bool(body.get("more", False)))
        except (KeyError, TypeError, ValueError) as exc:
            raise TransientError(f"the status answer is not in the expected shape: {exc}") from exc

    def post_journal(
        self, laptop_id: str, entries: Sequence[dict[str, Any]], *, written: int | None, after: int
    ) -> JournalReceipt:
        """POST /v1/journal: the laptop's next journal entries; a replay is harmless."""
        body: dict[str, Any] = {"laptop_id": laptop_id, "entries": list(entries), "after": after}
        if written is not None:
            body["written"] = written
        response = self._send("POST", "/v1/journal", json=body)
        if response.status_code in (404, 405):
            raise JournalUnsupported("the back office does not take journals yet (no POST /v1/journal)")
        answer = self._json(self._check(response))
        try:
            resend = answer.get("resend_after")
            return JournalReceipt(
                stored=int(answer["stored"]),
                replayed=int(answer["replayed"]),
                conflicts=int(answer.get("conflicts", 0)),
                last_id=int(answer["last_id"]),
                intact=bool(answer["intact"]),
                first_broken=answer.get("first_broken"),
                resend_after=int(resend) if resend is not None else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TransientError(f"the journal answer is not in the expected shape: {exc}") from exc

    def get_inventory_change(self, install_id: str) -> InventoryChange | None:
        """GET /v1/installs/{install_id}: the decision on the record's manual inventory change.

        None when there is nothing to learn: the back office does not know the record (404),
        it asked for no change (``null``), or the back office predates the key (absent).
        """
        response = self._send("GET", f"/v1/installs/{install_id}")
        if response.status_code == 404:
            return None
        body = self._json(self._check(response))
        change = body.get("inventory_change") if isinstance(body, dict) else None
        if change is None:
            return None
        try:
            at = change.get("decided_at")
            decided_at = datetime.fromisoformat(str(at).replace("Z", "+00:00")) if at else None
            if decided_at is not None and decided_at.tzinfo is None:
                decided_at = decided_at.replace(tzinfo=UTC)
            return InventoryChange(
                decision=str(change["decision"]),
                reason=_text_or_none(change.get("reason")),
                decided_by=_text_or_none(change.get("decided_by")),
                decided_at=decided_at.astimezone(UTC) if decided_at is not None else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TransientError(f"the install record's answer is not in the expected shape: {exc}") from exc

    def get_regime(self) -> RegimeAnswer:
        body = self._json(self._call("GET", "/v1/regime"))
        try:
            return RegimeAnswer(str(body["regime"]), str(body.get("source", "")), body.get("effective_from"))
        except (KeyError, TypeError) as exc:
            raise TransientError(f"the regime answer is not in the expected shape: {exc}") from exc


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _item_results(body: Any, sent: int, what: str) -> list[ItemResult]:
    try:
        raw = body["results"]
        results: list[ItemResult] = []
        for r in raw:
            view = r.get(what) or {}
            error = r.get("error") or {}
            results.append(
                ItemResult(
                    index=int(r["index"]),
                    key=r.get("idempotency_key") or r.get("install_id"),
                    outcome=str(r["outcome"]),
                    status=int(r.get("status", 0)),
                    state=view.get("state") if what == "intent" else ("accepted" if view else None),
                    request_id=view.get("request_id"),
                    response_code=view.get("response_code"),
                    reason=view.get("reason"),
                    error=error.get("message"),
                )
            )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TransientError(f"the batch answer is not in the expected shape: {exc}") from exc
    if len(results) != sent:
        raise TransientError(f"the back office answered {len(results)} results for {sent} items")
    return results
