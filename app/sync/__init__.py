"""Sync: send queued intents to the back office, pull their states back, adopt the regime.

Stable entry points for the window and the command line:

* :func:`sync_once` (``app.sync.engine``) — one pass, in the calling thread → :class:`SyncReport`
  (the window runs it on its task runner's ``sync`` pool; ``hubcheck sync`` in its own thread);
* :class:`SyncService` (``app.sync.service``) — a background worker for a process without Qt
  (timer, "Sync now", network return); the window does not use it;
* :func:`recover_in_flight` — start-up recovery of rows a crash left ``sent``.
"""

from app.sync.engine import SyncReport, recover_in_flight, sync_once
from app.sync.service import SyncService

__all__ = ["SyncReport", "SyncService", "recover_in_flight", "sync_once"]
