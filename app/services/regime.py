"""The regime in force: the supplier's choice, changed on a laptop only when no back office
says otherwise, and every change journaled.

Why guarded: the same two devices are a STOP under the tactical regime and OK under MP202.
A regime picked on the laptop to make a STOP go away would queue requests the DCC refuses.
So when the regime came from the back office (and a back office is configured), it cannot
be changed locally; where there is no back office, a local change is allowed, written to
the hash-chained journal (who would otherwise know?), and each visit records its regime and
where it came from (``VisitOutcome.regime`` / ``regime_source``).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import DomainInputError
from app.services.context import AppContext


class RegimeLocked(DomainInputError):
    """The regime is the back office's; it cannot be changed on this laptop."""


@dataclass(frozen=True, slots=True)
class RegimeState:
    regime: str
    source: str  # "local" | "backoffice"
    since: str  # when it took effect or was adopted (ISO text), "" when not known
    locked: bool  # True: set by the back office, read-only on this laptop

    def describe(self) -> str:
        if self.source == "backoffice":
            when = f" since {self.since[:10]}" if self.since else ""
            return f"set by the supplier's back office{when}"
        return "set on this laptop"


def regime_state(ctx: AppContext) -> RegimeState:
    values = ctx.settings.load().values
    source = str(values.get("regime_source") or "local")
    locked = source == "backoffice" and bool(values.get("backoffice_url"))
    return RegimeState(str(values.get("regime")), source, str(values.get("regime_since") or ""), locked)


def change_regime_locally(ctx: AppContext, regime: str, *, reason: str = "") -> RegimeState:
    """Set the regime on this laptop (refused with ``RegimeLocked`` when the back office
    owns it), journaled with the old and new values."""
    from datetime import UTC, datetime

    from app.store import audit
    from app.store.settings import require_spec

    new = str(require_spec("regime").parse(regime))  # a bad value: SettingError with the allowed values
    state = regime_state(ctx)
    if state.locked:
        raise RegimeLocked(
            f"the regime is {state.describe()} ({state.regime}); it cannot be changed on this laptop"
        )
    if new == state.regime and state.source == "local":
        return state
    now = datetime.now(UTC).isoformat(timespec="seconds")
    # The journal first: a change that is journaled but not saved is visible and harmless;
    # a change saved but not journaled is exactly what the journal exists to prevent.
    with ctx.engine.begin() as conn:
        audit.append(conn, "regime.changed_locally", new,
                     {"from": state.regime, "from_source": state.source, "reason": reason.strip() or None})
    ctx.settings.set_many({"regime": new, "regime_source": "local", "regime_since": now})
    return regime_state(ctx)
