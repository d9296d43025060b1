"""The rules of a hash-chained journal, shared by the laptop that writes it and the back office that keeps copies.

An entry's hash covers its content and the hash of the entry before it, so editing,
deleting or re-ordering any entry breaks the link at that point. Both ends must compute
the hash the same way, byte for byte, and must name a break in the same plain words, so
the computation and the walk live here, free of any storage.

:class:`ChainWalker` checks entries one at a time in the order they are meant to follow
each other (the laptop's entry id: 1, 2, 3, ...) and says, for the first one that does
not fit, what is wrong with it in a sentence an analyst can act on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


def canonical(value: Any) -> str:
    """The one JSON spelling hashed: sorted keys, no spaces, Unicode kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, at: str, action: str, subject: str, detail_json: str) -> str:
    """The hash an entry must carry; any change to a field or to the link changes it."""
    material = canonical([prev_hash, at, action, subject, detail_json])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class LinkedEntry:
    """One journal entry exactly as it was hashed (``detail_json`` is the hashed text)."""

    id: int
    at: str
    action: str
    subject: str
    detail_json: str
    prev_hash: str
    entry_hash: str

    def content_matches(self, other: LinkedEntry) -> bool:
        """Same id and every hashed field the same (a replay, not a rewrite)."""
        return self == other


def _span(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first} to {last} are"


class ChainWalker:
    """Walks entries in id order from a known last link and names the first that does not fit.

    ``check`` always moves on to the entry it was given, so after a break the entries that
    follow are judged against what was actually received (only the first break is news).
    """

    def __init__(self, last_id: int = 0, last_hash: str = GENESIS_HASH) -> None:
        self.last_id = last_id
        self.last_hash = last_hash

    def check(self, entry: LinkedEntry) -> str | None:
        """Why ``entry`` does not follow the last one, or None when it does."""
        problem = self._problem(entry)
        if entry.id > self.last_id:
            self.last_id = entry.id
            self.last_hash = entry.entry_hash
        return problem

    def _problem(self, entry: LinkedEntry) -> str | None:
        if entry.id <= self.last_id:
            return f"entry {entry.id} arrived after entry {self.last_id}: the journal was re-ordered"
        if entry.id > self.last_id + 1:
            return f"{_span(self.last_id + 1, entry.id - 1)} missing: entry {entry.id} follows " + (
                f"entry {self.last_id}" if self.last_id else "the start of the journal"
            )
        if entry.prev_hash != self.last_hash:
            before = f"entry {self.last_id}" if self.last_id else "the start of the journal"
            return f"entry {entry.id} does not follow {before}: its link to the entry before it is wrong"
        if entry_hash(entry.prev_hash, entry.at, entry.action, entry.subject, entry.detail_json) != entry.entry_hash:
            return f"entry {entry.id} was changed after it was written: its hash does not match its content"
        return None


def cut_problem(written: int, last_id: int) -> str | None:
    """Why a journal whose writer counted ``written`` appends but whose copy ends at ``last_id``
    lost its end, or None. Entry ids and the count agree unless entries were removed: a cut
    end (the links alone cannot show it, the entries before it still link up)."""
    if written > last_id:
        return (
            f"the laptop wrote {written} entries but its journal ends at entry {last_id}: "
            f"{written - last_id} were cut before they were synced"
        )
    return None
