"""``BackofficeUnderTest``: the real back office with its DCC simulator, on 127.0.0.1, for a test.

The service is the production one — ``create_app`` with a ``DccSimulator``, served by
uvicorn with the same HTTP protocol guard as ``hubcheck-backoffice serve --simulate-dcc``
— on a SQLite file of its own, in a thread of the test process. The laptop reaches it
through a ``FaultyLink`` (``app.testing.faults``), so a tester can make the network fail,
stall, drop or go away, and steer the simulated DCC: ``dcc_answer("8.7.1", "E65")`` makes
it answer that Service Request with that response code.

Running in the test's own process is what lets a test change the DCC's answers while it
runs; the HTTP between laptop and back office is real all the same.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

DEFAULT_DCC_DELAY = 0.2  # seconds before the simulated DCC answers: quick, but a real step


@dataclass(frozen=True)
class HeldIntent:
    """One Service Request as the back office holds it."""

    key: str
    srv: str
    target: str
    job_ref: str | None
    state: str
    response_code: str | None


class BackofficeUnderTest:
    """Start with ``BackofficeUnderTest(folder)``; ``url`` and ``token`` go into the laptop's settings.

    Faults: ``fail_next``, ``delay``, ``drop_next``, ``go_offline``, ``come_online`` (see
    ``FaultyLink``). The DCC: ``dcc_answer(srv, code)``, ``dcc_delay``. What it holds:
    ``intents()``. ``reset()`` clears faults and DCC rules and issues a new installer token.
    """

    def __init__(self, folder: Path, *, dcc_delay: float = DEFAULT_DCC_DELAY) -> None:
        import uvicorn

        from app.backoffice.db import open_store
        from app.backoffice.dccsim import DccSimulator
        from app.backoffice.web.app import create_app
        from app.backoffice.web.guards import KEEP_ALIVE_SECONDS, GuardedH11Protocol
        from app.testing.faults import FaultyLink

        folder.mkdir(parents=True, exist_ok=True)
        self.db_url = f"sqlite:///{folder / 'backoffice.db'}"
        self.store = open_store(self.db_url)
        self.simulator = DccSimulator(self.store, delay=dcc_delay)
        self._server = uvicorn.Server(uvicorn.Config(
            create_app(self.store, simulator=self.simulator), host="127.0.0.1", port=0, log_level="warning",
            access_log=False, http=GuardedH11Protocol, timeout_keep_alive=KEEP_ALIVE_SECONDS,
        ))
        self._thread = threading.Thread(target=self._server.run, name="backoffice-under-test", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.store.dispose()
                raise RuntimeError("the back office did not start on 127.0.0.1")
            time.sleep(0.01)
        self.direct_port = int(self._server.servers[0].sockets[0].getsockname()[1])
        #: The address without the faulty link in front (for a tester's own HTTP checks).
        self.direct_url = f"http://127.0.0.1:{self.direct_port}"
        self.link = FaultyLink(self.direct_port)
        #: What the laptop is given: the back office behind the faulty link.
        self.url = self.link.url
        self.installer = ""
        self.token = ""
        self.new_installer()

    # -- the laptop's credentials --------------------------------------------------------
    def new_installer(self, name: str | None = None) -> str:
        """Issue a token for a new installer (``name`` or a fresh one); it becomes ``token``."""
        from app.backoffice.timeutil import utcnow
        from app.backoffice.tokens import create_token

        self.installer = name or f"tester-{uuid.uuid4().hex[:8]}"
        with self.store.write() as session:
            self.token = create_token(session, self.installer, utcnow())
        return self.token

    # -- faults on the way -----------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 500, *, path: str | None = None,
                  retry_after: int | None = None) -> None:
        """The next ``n`` requests are answered ``status`` by the network, never reaching the service."""
        self.link.fail_next(n, status, path=path, retry_after=retry_after)

    def delay(self, seconds: float, n: int | None = None, *, path: str | None = None) -> None:
        """Answers arrive ``seconds`` late (the next ``n`` requests, or all until ``reset``)."""
        self.link.delay(seconds, n, path=path)

    def drop_next(self, n: int = 1, *, after: bool = False, path: str | None = None) -> None:
        """The next ``n`` connections are cut with no answer (``after``: once the service handled them)."""
        self.link.drop_next(n, after=after, path=path)

    def go_offline(self) -> None:
        """Nothing answers: connections are refused (the laptop is out of signal)."""
        self.link.go_offline()

    def come_online(self) -> None:
        self.link.come_online()

    @property
    def requests(self) -> list[str]:
        """Request lines that reached the link, oldest first (``"POST /v1/intents"``)."""
        return self.link.requests

    # -- the DCC ----------------------------------------------------------------------------
    def dcc_answer(self, srv: str, code: str, *, target: str | None = None, job_ref: str | None = None) -> None:
        """From now on the DCC answers Service Request ``srv`` (``"8.7.1"``; ``"8.7*"`` a prefix)
        with response ``code`` (``"E65"``, ``"I99"``; ``"reject"``: the back office refuses it).
        ``target`` or ``job_ref`` narrow it to one device or job instead of the SRV. The newest
        rule wins; ``reset()`` goes back to answering everything ``I0``."""
        from app.backoffice.dccsim import DccRule, parse_rule

        rule: Any = parse_rule(f"srv={srv}:{code}")  # checks the code's form, says why not
        for narrower in (f"target={target}" if target else "", f"job_ref={job_ref}" if job_ref else ""):
            if narrower:
                rule = _Both(rule, parse_rule(f"{narrower}:{code}"))
        self.simulator.rules = cast("tuple[DccRule, ...]", (rule, *self.simulator.rules))

    @property
    def dcc_delay(self) -> float:
        return float(self.simulator.delay)

    @dcc_delay.setter
    def dcc_delay(self, seconds: float) -> None:
        self.simulator.delay = seconds

    def set_regime(self, regime: str) -> None:
        """The supplier's regime from today (``"tactical"`` / ``"mp202"``); laptops adopt it at their next sync."""
        from app.backoffice.regime import set_regime
        from app.backoffice.timeutil import gb_today, utcnow

        with self.store.write() as session:
            set_regime(session, regime, gb_today(utcnow()), utcnow())

    # -- what it holds ----------------------------------------------------------------------
    def intents(self, installer: str | None = None) -> list[HeldIntent]:
        """The intents it holds for ``installer`` (default: the current one), oldest first."""
        from sqlalchemy import select

        from app.backoffice.models import Installer, Intent

        with self.store.read() as session:
            query = (select(Intent).join(Installer, Installer.id == Intent.installer_id)
                     .where(Installer.name == (installer or self.installer)).order_by(Intent.id))
            return [HeldIntent(i.idempotency_key, i.srv, i.target, i.job_ref, i.state, i.response_code)
                    for i in session.scalars(query)]

    # -- lifecycle --------------------------------------------------------------------------
    def reset(self) -> None:
        """Between tests on a shared back office: no faults, every SR answered ``I0`` after the
        default delay, and a new installer (so one test's intents are not another's)."""
        self.link.reset()
        self.simulator.rules = ()
        self.simulator.delay = DEFAULT_DCC_DELAY
        self.new_installer()

    def close(self) -> None:
        self.link.close()
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self.store.dispose()

    def __enter__(self) -> BackofficeUnderTest:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class _Both:
    """A DCC rule that needs two matches (an SRV and a device or job)."""

    first: Any
    second: Any

    @property
    def code(self) -> str:
        return str(self.first.code)

    def matches(self, intent: Any) -> bool:
        return bool(self.first.matches(intent) and self.second.matches(intent))
