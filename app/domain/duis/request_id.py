"""DUIS RequestID: ``BusinessOriginatorID:BusinessTargetID:OriginatorCounter``.

The counter must rise strictly per originator, so the back office assigns it at
submission (a local offline export uses a persisted counter); this module only checks
and formats. The target part must be the intent's target: the DCC routes on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.domain.duis.errors import RequestIdError
from app.domain.ids import DeviceId, DeviceIdError, parse_device_id

#: The DCC Access Control Broker: BusinessTargetID of every non-device (CV 8) request.
DCC_ACCESS_CONTROL_BROKER = DeviceId("90-B3-D5-1F-30-00-00-02")

COUNTER_MAX = 2**64 - 1
_EUI = r"[A-Fa-f0-9]{2}(?:-[A-Fa-f0-9]{2}){7}"
_REQUEST_ID = re.compile(rf"^({_EUI}):({_EUI}):(0|[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True, order=True)
class RequestId:
    """A checked RequestID; ``str()`` gives the DUIS text with upper-case EUIs."""

    originator: DeviceId
    target: DeviceId
    counter: int

    def __post_init__(self) -> None:
        if not isinstance(self.originator, DeviceId) or not isinstance(self.target, DeviceId):
            raise RequestIdError("a RequestID's originator and target must be device IDs")
        if isinstance(self.counter, bool) or not isinstance(self.counter, int):
            raise RequestIdError(f"a RequestID counter must be a whole number, got {self.counter!r}")
        if not 0 <= self.counter <= COUNTER_MAX:
            raise RequestIdError(f"a RequestID counter must be 0 to {COUNTER_MAX} (uint64); got {self.counter}")

    def __str__(self) -> str:
        return f"{self.originator}:{self.target}:{self.counter}"

    @property
    def response_id(self) -> str:
        """The ResponseID the DCC answers with: originator and target swapped."""
        return f"{self.target}:{self.originator}:{self.counter}"


def parse_request_id(text: str) -> RequestId:
    """Parse DUIS RequestID text (upper or lower case EUIs, decimal counter without leading zeros)."""
    if not isinstance(text, str):
        raise RequestIdError(f"a RequestID must be text, got {type(text).__name__}")
    match = _REQUEST_ID.match(text.strip())
    if not match:
        raise RequestIdError(
            f"{text[:80]!r} is not a DUIS RequestID (originator EUI:target EUI:counter, "
            "EUIs as 8 dash-separated hex pairs, counter decimal without leading zeros)"
        )
    try:
        originator = parse_device_id(match.group(1))
        target = parse_device_id(match.group(2))
    except DeviceIdError as exc:  # pragma: no cover - the regex already guarantees the shape
        raise RequestIdError(str(exc)) from exc
    return RequestId(originator, target, int(match.group(3)))
