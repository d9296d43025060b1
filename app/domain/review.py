"""How the analyst's review ranks visits "worst first", for every database that sorts them.

The laptop's review index (SQLite triggers), the back office's denormalised install columns
(PostgreSQL or SQLite) and the review sources' Python all rank a visit's verdict and its
Service Requests' progress by these same rules, so a page sorted "worst first" means the
same thing wherever it was read. Pure Python: the rules are also given as SQL text.
"""

from __future__ import annotations

#: Verdict levels worst first (an ascending sort on the rank lists "block" first).
VERDICT_RANK: dict[str, int] = {"block": 0, "warn": 1, "unknown": 2, "ok": 3}
#: SR progress words worst first, in the review contract's order (``SrProgress``).
SR_ORDER: tuple[str, ...] = ("failed", "waiting", "done", "withdrawn", "none")
SR_RANK: dict[str, int] = {word: rank for rank, word in enumerate(SR_ORDER)}

#: Intent states per progress bucket (the outbox's and the back office's state words alike).
SR_FAILED_STATES: tuple[str, ...] = ("failed", "rejected")
SR_WAITING_STATES: tuple[str, ...] = ("queued", "sent", "waiting", "accepted", "submitted")
SR_DONE_STATES: tuple[str, ...] = ("succeeded",)


def sr_rank(failed: int, waiting: int, withdrawn: bool, total: int) -> int:
    """A visit's SR progress rank from its counts: any failure, else any still on its way,
    else withdrawn, else none queued, else done."""
    if failed:
        return SR_RANK["failed"]
    if waiting:
        return SR_RANK["waiting"]
    if withdrawn:
        return SR_RANK["withdrawn"]
    if total == 0:
        return SR_RANK["none"]
    return SR_RANK["done"]


def sr_rank_sql(failed: str, waiting: str, withdrawn: str, total: str) -> str:
    """:func:`sr_rank` as a SQL CASE over column expressions (SQLite and PostgreSQL alike)."""
    return (
        f"CASE WHEN {failed} > 0 THEN {SR_RANK['failed']} "
        f"WHEN {waiting} > 0 THEN {SR_RANK['waiting']} "
        f"WHEN {withdrawn} THEN {SR_RANK['withdrawn']} "
        f"WHEN {total} = 0 THEN {SR_RANK['none']} "
        f"ELSE {SR_RANK['done']} END"
    )


def verdict_rank_sql(level: str) -> str:
    """The verdict rank of a level column as a SQL CASE."""
    parts = " ".join(f"WHEN '{word}' THEN {rank}" for word, rank in VERDICT_RANK.items() if word != "ok")
    return f"CASE {level} {parts} ELSE {VERDICT_RANK['ok']} END"


def states_sql(states: tuple[str, ...]) -> str:
    """A state tuple as a SQL ``IN`` list (the words are constants, never user input)."""
    return "(" + ", ".join(f"'{s}'" for s in states) + ")"
