"""Review every installer's records through the back office's API (``/v1/review``).

The analyst's window talks to the back office with an analyst token (read only) or an admin
token (which may also approve). Every failure a network or a server can produce, offline,
a refused token, a server fault, an answer that is not the JSON promised, becomes a
:class:`ReviewError` with one plain sentence: the window shows it and keeps what it had.
Deciding an approval calls the admin routes the command line's colleagues use, so it is the
same audited action.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from app.services.review.common import MAX_PAGE, parse_instant
from app.services.review.contract import (
    INSTALL_APPROVAL_PREFIX,
    ChainState,
    DashboardSummary,
    DayCount,
    InventoryDecision,
    PendingApproval,
    ReviewDetail,
    ReviewError,
    ReviewFilter,
    ReviewPage,
    ReviewRow,
    ReviewSort,
    SrEvent,
    SrProgress,
    SrTimeline,
    scan_entry,
)

TIMEOUT_S = 15.0


def filter_params(flt: ReviewFilter) -> dict[str, str]:
    """The filter as the API's query parameters (only the fields that narrow)."""
    params: dict[str, str] = {}
    for name, value in vars(flt).items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, date):
            params[name] = value.isoformat()
        else:
            params[name] = str(value)
    return params


class RemoteReviewSource:
    """A :class:`~app.services.review.contract.ReviewSource` over the back office's API."""

    def __init__(self, base_url: str, token: str, ca: str | Path | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        verify: Any = str(ca) if ca else True
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT_S,
            verify=verify,
        )
        self._who: dict[str, Any] | None = None
        #: False once the back office answered that it has no ``POST /v1/review/details`` (older).
        self._bulk_route = True

    def close(self) -> None:
        self._http.close()

    # ----------------------------------------------------------------- HTTP with plain errors

    def _call(self, method: str, path: str, *, params: Any = None, body: Any = None, missing_ok: bool = False) -> Any:
        answer = self._send(method, path, params=params, body=body)
        if missing_ok and answer.status_code == 404:
            return None
        return self._answer(answer)

    def _send(self, method: str, path: str, *, params: Any = None, body: Any = None) -> httpx.Response:
        try:
            return self._http.request(method, path, params=params, json=body)
        except httpx.TimeoutException:
            raise ReviewError(f"the back office at {self.base_url} did not answer in time; try again") from None
        except httpx.HTTPError:
            raise ReviewError(
                f"the back office at {self.base_url} cannot be reached; check the network and the address"
            ) from None

    def _answer(self, answer: httpx.Response) -> Any:
        """The answer's JSON, or a ReviewError with one plain sentence for a refusal or a fault."""
        if answer.status_code == 401:
            raise ReviewError("the back office refused the token (unknown, revoked or expired); ask for a new one")
        if answer.status_code == 403:
            raise ReviewError(f"this token may not do that at the back office: {_detail(answer)}")
        if answer.status_code == 404:
            raise ReviewError(f"the back office has no such record: {_detail(answer)}")
        if answer.status_code in (409, 422):
            raise ReviewError(f"the back office refused the request: {_detail(answer)}")
        if answer.status_code >= 500:
            raise ReviewError(
                f"the back office had a problem (HTTP {answer.status_code}); try again shortly"
            )
        if answer.status_code >= 300:
            raise ReviewError(f"the back office answered HTTP {answer.status_code}; nothing was changed")
        try:
            return answer.json()
        except ValueError:
            raise ReviewError("the back office's answer was not the JSON expected; is the address right?") from None

    def _parsed(self, what: str, work: Any) -> Any:
        try:
            return work()
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ReviewError(f"the back office's {what} did not have the expected fields") from None

    # ----------------------------------------------------------------- the contract's questions

    @property
    def description(self) -> str:
        return f"Back office {self.base_url}"

    @property
    def can_approve(self) -> bool:
        """Asked once (``/v1/whoami``); the window's ``open_source`` asks on its worker, so the
        UI thread only ever reads the remembered answer. A token that could not be checked
        counts as read-only until the source is opened again."""
        if self._who is None:
            try:
                self._who = dict(self._call("GET", "/v1/whoami"))
            except (ReviewError, TypeError, ValueError):
                self._who = {}
        return bool(self._who.get("admin"))

    def page(self, flt: ReviewFilter, sort: ReviewSort, after: str | None = None, limit: int = 200) -> ReviewPage:
        params = {**filter_params(flt), "sort": sort.column.value, "desc": "true" if sort.descending else "false",
                  "limit": str(limit)}
        if after:
            params["after"] = after
        body = self._call("GET", "/v1/review/visits", params=params)
        return self._parsed(  # type: ignore[no-any-return]
            "page", lambda: ReviewPage([_row(r) for r in body["rows"]], body["next"])
        )

    def detail(self, record_id: str) -> ReviewDetail:
        body = self._call("GET", f"/v1/review/visits/{record_id}")
        return self._parsed("record", lambda: _detail_of(body))  # type: ignore[no-any-return]

    def details(self, record_ids: Sequence[str]) -> list[ReviewDetail]:
        """Each record's detail, in the order given: one ``POST /v1/review/details`` per 500 ids
        (an export of tens of thousands of records is then tens of requests, not tens of
        thousands). A back office older than that route answers it 404 or 405: from then on this
        source asks ``GET /v1/review/visits/{id}`` record by record, as before."""
        ids = list(record_ids)
        out: list[ReviewDetail] = []
        for start in range(0, len(ids), MAX_PAGE):
            chunk = ids[start : start + MAX_PAGE]
            found = self._details_at_once(chunk) if self._bulk_route else None
            out.extend(found if found is not None else [self.detail(record_id) for record_id in chunk])
        return out

    def _details_at_once(self, ids: list[str]) -> list[ReviewDetail] | None:
        """The details from the bulk route; None (and remembered) when the back office has no such route."""
        answer = self._send("POST", "/v1/review/details", body={"ids": ids})
        if answer.status_code == 405 or (answer.status_code == 404 and not _names_one_of(answer, ids)):
            self._bulk_route = False  # an older back office: a 404 naming no record is its "no such route"
            return None
        body = self._answer(answer)
        details: list[ReviewDetail] = self._parsed("records", lambda: [_detail_of(d) for d in body["details"]])
        if [d.row.record_id for d in details] != ids:
            raise ReviewError("the back office answered other records than those asked for; try again")
        return details

    def installers(self) -> list[str]:
        body = self._call("GET", "/v1/review/installers")
        return self._parsed("installer list", lambda: [str(n) for n in body["installers"]])  # type: ignore[no-any-return]

    def summary(self, flt: ReviewFilter) -> DashboardSummary:
        body = self._call("GET", "/v1/review/summary", params=filter_params(flt))
        return self._parsed("summary", lambda: _summary_of(body))  # type: ignore[no-any-return]

    def chains(self) -> list[ChainState]:
        body = self._call("GET", "/v1/journal/chains", missing_ok=True)
        if body is None:
            return []
        return self._parsed("journal chains", lambda: _chains_of(body))  # type: ignore[no-any-return]

    def approvals(self) -> list[PendingApproval]:
        body = self._call("GET", "/v1/review/approvals")
        return self._parsed(  # type: ignore[no-any-return]
            "approval list",
            lambda: [
                PendingApproval(
                    approval_id=str(a["approval_id"]),
                    kind=str(a["kind"]),
                    installer=str(a["installer"]),
                    job_ref=a.get("job_ref"),
                    record_id=a.get("record_id"),
                    srv=str(a["srv"]),
                    target=str(a["target"]),
                    requested_at=parse_instant(a["requested_at"]),
                    summary=str(a["summary"]),
                )
                for a in body["approvals"]
            ],
        )

    def decide(self, approval_id: str, approve: bool, reason: str) -> None:
        """Approve or refuse through the admin routes; the audit log names the token's holder."""
        if not approve and not reason.strip():
            raise ReviewError("say why the request is refused; the installer sees the reason")
        who = self._who or dict(self._call("GET", "/v1/whoami"))
        self._who = who
        by = str(who.get("installer") or "analyst")
        # A manual inventory change is named "install:" + the install record's id; an 8.4 by its key.
        if approval_id.startswith(INSTALL_APPROVAL_PREFIX):
            path = f"/v1/admin/installs/{approval_id[len(INSTALL_APPROVAL_PREFIX):]}"
        else:
            path = f"/v1/admin/intents/{approval_id}"
        if approve:
            body = {"by": by, **({"reason": reason.strip()} if reason.strip() else {})}
            self._call("POST", f"{path}/approve", body=body)
        else:
            self._call("POST", f"{path}/refuse", body={"by": by, "reason": reason.strip()})


def _detail(answer: httpx.Response) -> str:
    """The server's own ``detail`` sentence (a list of field errors is summarised)."""
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        return f"HTTP {answer.status_code}"
    if isinstance(detail, list):
        fields = [".".join(str(p) for p in e.get("loc", [])[1:]) for e in detail if isinstance(e, dict)]
        return "check " + ", ".join(f for f in fields if f) if fields else f"HTTP {answer.status_code}"
    return str(detail or f"HTTP {answer.status_code}")


def _names_one_of(answer: httpx.Response, ids: list[str]) -> bool:
    """True when a 404's ``detail`` names one of ``ids`` (the bulk route's "no such record"),
    not a server's plain "Not Found" for a route it does not have."""
    said = _detail(answer)
    return any(record_id and record_id in said for record_id in ids)


def _row(r: dict[str, Any]) -> ReviewRow:
    return ReviewRow(
        record_id=str(r["record_id"]),
        started_at=parse_instant(r["started_at"]),
        installer=str(r["installer"]),
        job_ref=str(r["job_ref"]),
        ppmid=r.get("ppmid"),
        hub=r.get("hub"),
        regime=str(r.get("regime") or ""),
        regime_source=str(r.get("regime_source") or ""),
        verdict_level=str(r["verdict_level"]),
        outcome=str(r["outcome"]),
        overridden=bool(r["overridden"]),
        scenario=str(r.get("scenario") or ""),
        sr_state=SrProgress(r["sr_state"]),
        sr_total=int(r["sr_total"]),
        sr_done=int(r["sr_done"]),
        sr_failed=int(r["sr_failed"]),
    )


def _detail_of(d: dict[str, Any]) -> ReviewDetail:
    return ReviewDetail(
        row=_row(d["row"]),
        meter=d.get("meter"),
        resulting_smets=d.get("resulting_smets"),
        reasons=[{k: str(v) for k, v in reason.items()} for reason in d.get("reasons", [])],
        override_reason=d.get("override_reason"),
        abort_reason=d.get("abort_reason"),
        ppmid_scan=d.get("ppmid_scan"),
        hub_scan=d.get("hub_scan"),
        mpxn=d.get("mpxn"),
        address=[str(line) for line in d.get("address") or []],
        postcode=d.get("postcode"),
        audit_hash=d.get("audit_hash"),
        ppmid_scan_entry=scan_entry(d.get("ppmid_scan_entry")),  # absent from an older back office
        hub_scan_entry=scan_entry(d.get("hub_scan_entry")),
        inventory_change=_inventory_change_of(d.get("inventory_change")),  # absent from an older back office
        requests=[
            SrTimeline(
                idempotency_key=str(t["idempotency_key"]),
                srv=str(t["srv"]),
                srv_name=str(t["srv_name"]),
                target=str(t["target"]),
                state=str(t["state"]),
                request_id=t.get("request_id"),
                response_code=t.get("response_code"),
                events=[
                    SrEvent(parse_instant(e["at"]), str(e["state"]), e.get("response_code"), e.get("reason"))
                    for e in t.get("events", [])
                ],
            )
            for t in d.get("requests", [])
        ],
    )


def _inventory_change_of(c: Any) -> InventoryDecision | None:
    if not isinstance(c, dict):
        return None
    at = c.get("decided_at")
    return InventoryDecision(
        decision=str(c["decision"]),
        decided_by=c.get("decided_by"),
        decided_at=parse_instant(at) if at else None,
        reason=c.get("reason"),
    )


def _summary_of(s: dict[str, Any]) -> DashboardSummary:
    return DashboardSummary(
        visits_per_day=[DayCount(date.fromisoformat(d["day"]), str(d["level"]), int(d["count"]))
                        for d in s["visits_per_day"]],
        override_rate={str(r["installer"]): (int(r["overridden"]), int(r["recorded"])) for r in s["override_rate"]},
        sr_failures={(str(f["srv"]), str(f["response_code"])): int(f["count"]) for f in s["sr_failures"]},
        regime_periods=[(date.fromisoformat(p["from"]), str(p["regime"])) for p in s["regime_periods"]],
    )


def _chains_of(body: Any) -> list[ChainState]:
    items = body.get("chains", body) if isinstance(body, dict) else body
    chains = []
    for c in items:
        synced = c.get("last_synced")
        chains.append(
            ChainState(
                installer=str(c["installer"]),
                laptop=str(c.get("laptop") or c.get("laptop_id") or ""),
                entries=int(c.get("entries", 0)),
                intact=bool(c["intact"]),
                first_broken=c.get("first_broken") or c.get("problem"),
                last_synced=parse_instant(synced) if synced else None,
            )
        )
    return chains
