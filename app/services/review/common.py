"""What both review sources share: sort keys, cursors, GB dates, ranks and reason texts.

The laptop's source and the back office's answer the same questions the same way: the same
order for "worst first", the same cursor shape, the same GB calendar day for a visit. Keeping
these here means a page read from one source and a page read from the other line up, and the
back office's API can hand the laptop's cursor format straight through.

Nothing here touches a database or Qt: these are plain values and small pure functions.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain import catalogue
from app.domain import review as domain_review
from app.domain.review import VERDICT_RANK, sr_rank  # noqa: F401  (re-exported for the sources)
from app.services.review.contract import ReviewError, SortColumn, SrProgress

try:
    GB_ZONE: ZoneInfo | None = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover - a machine without tz data: UTC is the honest answer
    GB_ZONE = None

#: The most rows one page may hold (the API refuses more; a source clamps to it).
MAX_PAGE = 500

#: Where a visit's Service Requests are, worst first, in the contract's order.
SR_RANK: dict[SrProgress, int] = {SrProgress(word): rank for word, rank in domain_review.SR_RANK.items()}
SR_BY_RANK: dict[int, SrProgress] = {rank: state for state, rank in SR_RANK.items()}
assert list(SR_RANK) == list(SrProgress), "the domain's SR order must be the contract's"

#: A plain sentence for each remedy action the catalogue names (the window shows it beside the reason).
REMEDY_WORDS: dict[str, str] = {
    catalogue.FIT_MATCHING_PPMID: "Fit a PPMID pre-notified for the hub's SMETS generation.",
    catalogue.QUEUE_UPDATE_INVENTORY: "Queue an 8.4 Update Inventory (needs the back office's approval).",
    catalogue.FIT_COMPATIBLE_MODEL: "Fit a PPMID model that is Active on the CPL.",
    catalogue.CONTACT_BACK_OFFICE: "Contact the back office.",
    catalogue.RESCAN_INSTALL_CODE: "Scan the PPMID's QR label again for its install code.",
    catalogue.RESCAN_DEVICE: "Scan the device's own label again.",
    catalogue.UPDATE_LOCAL_CPL: "Update the local CPL copy when next online.",
    catalogue.CONFIRM_HUB_GENERATION: "Confirm the hub's SMETS generation with the back office.",
    catalogue.IMPORT_JOB_PACK: "Import the job pack that pre-notifies the device.",
}


def gb_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of a GB calendar day (23, 24 or 25 hours long)."""
    zone = GB_ZONE or UTC
    start = datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC)
    return start, end


def gb_date(instant: datetime) -> date:
    """The GB calendar date of an instant."""
    aware = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    return aware.astimezone(GB_ZONE or UTC).date()


def date_range(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """The filter's GB dates as UTC instants: [start of ``date_from``, end of ``date_to``)."""
    if date_from is not None and date_to is not None and date_to < date_from:
        raise ReviewError(f"the date range ends ({date_to}) before it starts ({date_from})")
    low = gb_day_bounds(date_from)[0] if date_from is not None else None
    high = gb_day_bounds(date_to)[1] if date_to is not None else None
    return low, high


def utc_text(instant: datetime) -> str:
    """An instant as the laptop stores it (ISO-8601 UTC, microseconds), which sorts in time order."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def parse_instant(value: object) -> datetime:
    """A stored instant (text or datetime) as an aware UTC datetime."""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def encode_cursor(column: SortColumn, descending: bool, key: list[Any]) -> str:
    """An opaque cursor: the sort it belongs to and the last row's key (sort value(s) + id)."""
    raw = json.dumps({"s": column.value, "d": descending, "k": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, column: SortColumn, descending: bool, size: int) -> list[Any]:
    """The key a cursor holds; ReviewError when it is damaged or belongs to another sort."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
        key = data["k"]
        same_sort = data["s"] == column.value and bool(data["d"]) == descending
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise ReviewError("the page cursor is damaged; start again from the first page") from None
    if not same_sort or not isinstance(key, list) or len(key) != size:
        raise ReviewError("the page cursor belongs to another sort order; start again from the first page")
    if not all(isinstance(part, str | int) and not isinstance(part, bool) for part in key):
        raise ReviewError("the page cursor is damaged; start again from the first page")
    return key


def clamp_limit(limit: int) -> int:
    """A page size between 1 and :data:`MAX_PAGE`."""
    return max(1, min(int(limit), MAX_PAGE))


def reason_lines(reasons: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The stored reasons as the detail pane shows them, each with the catalogue's remedies.

    The stored message is the sentence the installer read at the time (kept as it was, even if
    the catalogue's wording changed since); the remedy words come from the catalogue's actions
    for the code.
    """
    lines = []
    for reason in reasons:
        code = str(reason.get("code", ""))
        remedies = [REMEDY_WORDS.get(action, action.replace("_", " ")) for action in catalogue.remedies_for(code)]
        lines.append(
            {
                "code": code,
                "level": str(reason.get("severity", reason.get("level", ""))),
                "text": str(reason.get("message", reason.get("text", ""))),
                "remedy": " ".join(remedies),
            }
        )
    return lines


def regime_periods(hours: Iterable[tuple[datetime, str]]) -> list[tuple[date, str]]:
    """(from GB date, regime) each time the regime in force changes, from time-ordered samples."""
    periods: list[tuple[date, str]] = []
    for instant, regime in hours:
        if not regime:
            continue
        if not periods or periods[-1][1] != regime:
            periods.append((gb_date(instant), regime))
    return periods


def text_prefixes(query: str) -> tuple[list[str], list[str]]:
    """(job-reference prefixes, device-ID prefixes) for the free-text filter.

    A job reference is matched as typed (and in capitals); a device ID as the stored
    spelling, upper-case hex pairs joined by hyphens, so "90b3d5" finds "90-B3-D5-…".
    """
    raw = query.strip()
    if not raw:
        return [], []
    jobs = list(dict.fromkeys([raw, raw.upper()]))
    digits = "".join(ch for ch in raw.upper() if ch not in "-: ")
    devices: list[str] = []
    if digits and all(ch in "0123456789ABCDEF" for ch in digits):
        devices.append("-".join(digits[i : i + 2] for i in range(0, len(digits), 2)))
    return jobs, devices


#: ``remedy_detail.kind`` of a visit that asks the back office for a manual inventory change.
MANUAL_INVENTORY_CHANGE = "manual-inventory-change"


def inventory_change_summary(meta: Mapping[str, Any] | None, fallback_device: str | None) -> str:
    """One sentence: which device's inventory entry the installer asked to change, and to what
    (the same words on the laptop's approval list as on the back office's)."""
    detail = (meta or {}).get("remedy_detail")
    detail = detail if isinstance(detail, dict) else {}
    device = str(detail.get("device_id") or fallback_device or "unknown")
    firmware, version = detail.get("firmware_version"), detail.get("smets_chts_version")
    to = ""
    if firmware or version:
        parts = [f"firmware {firmware}" if firmware else "", str(version) if version else ""]
        to = " to " + ", ".join(p for p in parts if p) + " (its model's other CPL entry)"
    return f"Ask the DCC for a manual inventory change of device {device}: move its inventory entry{to}."


def changed_device(payload: Mapping[str, Any] | None, target: str) -> str:
    """The device an approval changes: an 8.4's DeviceID from its body (the intent's target is
    the DCC's own EUI-64, the request being a non-device one), else the target."""
    body = (payload or {}).get("body", payload)
    body = body if isinstance(body, Mapping) else {}
    return str(body.get("device_id") or body.get("DeviceID") or target)
