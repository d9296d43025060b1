"""When to try a failed send again: exponential backoff with jitter.

Why jitter: after an outage every laptop of a supplier comes back at once; spreading
their retries over half of each interval keeps them from hitting the back office in
lock-step. Why a cap: an installer should never wait more than a quarter of an hour for
a retry once the network is back. Timed passes (the window's timer, a returning network)
honour the wait; only a person's "Sync now" skips it (``app.sync.engine``).
"""

from __future__ import annotations

import random

BASE_SECONDS = 2.0
CAP_SECONDS = 900.0


def backoff_delay(
    attempts: int,
    *,
    base: float = BASE_SECONDS,
    cap: float = CAP_SECONDS,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after the ``attempts``-th failed try (1 = the first failure).

    "Equal jitter": half of the exponential step is fixed, half is random, so the wait
    always grows with the attempts yet two clients rarely pick the same moment. A server's
    ``Retry-After`` is honoured as a lower bound.
    """
    step = min(cap, base * (2 ** max(0, min(attempts, 32) - 1)))
    chooser = rng or random
    delay: float = step / 2 + chooser.uniform(0, step / 2)
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, cap)
    return delay
