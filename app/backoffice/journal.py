"""Laptops' audit journals at the back office: take each upload, keep it, and say whether the chain holds.

Why the back office keeps a copy at all: a laptop's journal (``app.store.audit``) shows any
change made on the laptop only to whoever verifies it *on that laptop*. Here each synced
entry is kept exactly as hashed, per installer and laptop, so an analyst can verify every
laptop's chain in one place, and a journal edited or cut *before* it was synced shows here
too: the upload does not continue the chain the back office holds.

What a broken upload does (decided here, documented in docs/API.md): it is **stored as
sent and flagged**, never refused. Refusing would lose the evidence and block every later
entry of that laptop; storing it keeps what arrived, and the chain row records the first
break (``broken_at``, ``problem``) for the upload's answer and the review window. Whether a
chain is intact is always decided again from the stored rows (:func:`verify_chains`), so a
row edited, removed or re-ordered at the back office afterwards shows as well.

An entry id the back office already holds is a replay when every field matches; when one
differs (the laptop's copy was changed after it was synced) the stored entry is kept, the
new one is not, and the conflict is counted in the answer and written to ``bo_audit``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.backoffice.models import AuditEntry, Installer, JournalChain, JournalEntry
from app.backoffice.validation import check_text
from app.domain.journal import GENESIS_HASH, ChainWalker, LinkedEntry, cut_problem

#: Entries one upload may carry (the laptop sends at most this many per request).
MAX_ENTRIES = 500
HASH_PATTERN = r"^[0-9a-f]{64}$"
#: How many stored entries a verification reads at a time (memory stays flat on long chains).
VERIFY_CHUNK = 5000

_Text = Annotated[str, AfterValidator(check_text)]


class JournalEntryIn(BaseModel):
    """One entry as the laptop's ``audit_journal`` holds it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    id: int = Field(ge=1, le=2**62, description="the laptop's entry id: 1, 2, 3, ... in the order written")
    at: Annotated[_Text, Field(min_length=1, max_length=40)]
    action: Annotated[_Text, Field(min_length=1, max_length=40)]
    subject: Annotated[_Text, Field(max_length=80)]
    detail_json: Annotated[_Text, Field(max_length=1_000_000)]
    prev_hash: str = Field(pattern=HASH_PATTERN)
    entry_hash: str = Field(pattern=HASH_PATTERN)

    def linked(self) -> LinkedEntry:
        return LinkedEntry(
            self.id, self.at, self.action, self.subject, self.detail_json, self.prev_hash, self.entry_hash
        )


class JournalUpload(BaseModel):
    """``POST /v1/journal``: the laptop's next entries, oldest first."""

    model_config = ConfigDict(extra="forbid")

    laptop_id: str = Field(max_length=36, description="the laptop's own id (settings key laptop_id), a UUID")
    entries: list[JournalEntryIn] = Field(default_factory=list, max_length=MAX_ENTRIES)
    written: int | None = Field(
        default=None, ge=0, le=2**62,
        description="how many entries the laptop has ever appended, sent with the batch that reaches its newest",
    )
    after: int | None = Field(
        default=None, ge=0, le=2**62, description="the last entry id the laptop believes the back office holds"
    )

    @field_validator("laptop_id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        try:
            return str(UUID(value))
        except ValueError:
            raise ValueError("laptop_id must be a UUID (the laptop's settings key laptop_id)") from None


class JournalAnswer(BaseModel):
    """What the back office did with an upload, and the state of that laptop's chain."""

    laptop_id: str
    received: int
    stored: int
    replayed: int
    conflicts: int
    last_id: int = Field(description="the newest entry id the back office holds for this laptop")
    intact: bool = Field(description="no upload of this laptop's journal has broken its chain so far")
    first_broken: str | None = Field(description="the first break an upload showed, in one sentence")
    resend_after: int | None = Field(
        default=None,
        description="set when the back office holds less than the laptop believed: nothing was stored; "
        "send again the entries after this id",
    )


class ChainOut(BaseModel):
    """One installer's (one laptop's) journal as the back office verified it just now."""

    installer: str
    laptop: str
    entries: int
    intact: bool
    first_broken: str | None
    last_synced: datetime | None


def _stored(row: JournalEntry) -> LinkedEntry:
    return LinkedEntry(
        int(row.entry_id), row.at, row.action, row.subject, row.detail_json, row.prev_hash, row.entry_hash
    )


def _chain_for_update(session: Session, installer_id: int, laptop_id: str, now: datetime) -> JournalChain:
    """The chain row, locked for this transaction (PostgreSQL), created on first upload.

    Two uploads of one laptop at once take turns on the row lock; two first uploads race on
    the unique key, and the loser is retried by the caller (it then finds the row).
    """
    chain = session.scalar(
        select(JournalChain)
        .where(JournalChain.installer_id == installer_id, JournalChain.laptop_id == laptop_id)
        .with_for_update()
    )
    if chain is None:
        chain = JournalChain(
            installer_id=installer_id,
            laptop_id=laptop_id,
            first_seen=now,
            last_synced=now,
            entries=0,
            last_entry_id=0,
            last_hash=GENESIS_HASH,
            written=0,
        )
        session.add(chain)
        session.flush()
    return chain


def intake_journal(
    session: Session, installer_id: int, installer_name: str, upload: JournalUpload, now: datetime
) -> JournalAnswer:
    """Store the upload's new entries, checking each continues the chain; see the module's rules."""
    chain = _chain_for_update(session, installer_id, upload.laptop_id, now)
    answer = JournalAnswer(
        laptop_id=upload.laptop_id, received=len(upload.entries), stored=0, replayed=0, conflicts=0,
        last_id=int(chain.last_entry_id), intact=chain.problem is None, first_broken=chain.problem,
    )
    first_new = min((e.id for e in upload.entries if e.id > chain.last_entry_id), default=None)
    if (
        upload.after is not None
        and upload.after > chain.last_entry_id
        and (first_new is None or first_new > chain.last_entry_id + 1)
    ):
        # The laptop believes the back office holds more than it does (a database restored
        # from a backup): its entries would look like a gap. Ask for them again instead.
        answer.resend_after = int(chain.last_entry_id)
        return answer
    ids = [e.id for e in upload.entries]
    held = {
        int(row.entry_id): row
        for row in session.scalars(
            select(JournalEntry).where(JournalEntry.chain_id == chain.id, JournalEntry.entry_id.in_(ids))
        )
    } if ids else {}
    walker = ChainWalker(int(chain.last_entry_id), chain.last_hash)
    conflicts: list[int] = []
    new_rows: list[JournalEntry] = []
    for item in upload.entries:
        entry = item.linked()
        if entry.id in held:
            if _stored(held[entry.id]).content_matches(entry):
                answer.replayed += 1
            else:
                conflicts.append(entry.id)
            continue
        problem = walker.check(entry)
        if problem is not None and chain.problem is None:
            chain.problem, chain.broken_at = problem, entry.id
        row = JournalEntry(
            chain_id=chain.id, entry_id=entry.id, at=entry.at, action=entry.action, subject=entry.subject,
            detail_json=entry.detail_json, prev_hash=entry.prev_hash, entry_hash=entry.entry_hash, received_at=now,
        )
        session.add(row)
        new_rows.append(row)
        held[entry.id] = row
    chain.entries = int(chain.entries) + len(new_rows)
    chain.last_entry_id, chain.last_hash = walker.last_id, walker.last_hash
    if upload.written is not None:
        chain.written = max(int(chain.written), upload.written)
    if chain.problem is None and (cut := cut_problem(int(chain.written), int(chain.last_entry_id))):
        chain.problem, chain.broken_at = cut, int(chain.last_entry_id) + 1
    chain.last_synced = now
    if conflicts:
        session.add(
            AuditEntry(
                at=now, actor=installer_name, via="journal upload", action="journal.conflict",
                subject=upload.laptop_id,
                detail={"entries": conflicts[:100], "count": len(conflicts),
                        "why": "the laptop sent entries the back office already holds with other content; "
                               "the stored ones were kept"},
            )
        )
    session.flush()
    answer.stored, answer.conflicts = len(new_rows), len(conflicts)
    answer.last_id = int(chain.last_entry_id)
    answer.intact, answer.first_broken = chain.problem is None, chain.problem
    return answer


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class ChainVerdict:
    """One chain checked from its stored rows: the fields of the review contract's ``ChainState``."""

    installer: str
    laptop: str
    entries: int
    intact: bool
    first_broken: str | None
    last_synced: datetime | None

    def out(self) -> ChainOut:
        return ChainOut(
            installer=self.installer, laptop=self.laptop, entries=self.entries, intact=self.intact,
            first_broken=self.first_broken, last_synced=self.last_synced,
        )


def _rows(session: Session, chain_id: int) -> Iterator[JournalEntry]:
    """The chain's stored entries in entry-id order, read a chunk at a time (keyset)."""
    after = -1
    while True:
        chunk = session.scalars(
            select(JournalEntry)
            .where(JournalEntry.chain_id == chain_id, JournalEntry.entry_id > after)
            .order_by(JournalEntry.entry_id)
            .limit(VERIFY_CHUNK)
        ).all()
        if not chunk:
            return
        yield from chunk
        after = int(chunk[-1].entry_id)
        session.expunge_all()


def _walk(session: Session, chain: JournalChain) -> tuple[int, str | None]:
    """(rows held, the first break) recomputed from the rows alone, then the chain row's own facts."""
    # Read before walking: the walk clears the session a chunk at a time.
    chain_id, received, last_received, written = chain.id, int(chain.entries), int(chain.last_entry_id), int(
        chain.written
    )
    walker = ChainWalker()
    count = 0
    problem: str | None = None
    for row in _rows(session, chain_id):
        count += 1
        found = walker.check(_stored(row))
        if problem is None and found is not None:
            problem = found
    if problem is None and last_received > walker.last_id:
        problem = (
            f"entries after entry {walker.last_id} were removed at the back office: "
            f"it had received up to entry {last_received}"
        )
    if problem is None and count != received:
        problem = f"the back office received {received} entries but holds {count}: rows were removed or added"
    if problem is None:
        problem = cut_problem(written, walker.last_id)
    return count, problem


def verify_chains(session: Session, installer: str | None = None) -> list[ChainVerdict]:
    """Every laptop chain (or one installer's), each verified again from its stored rows.

    Recomputed on every call rather than read from the flag an upload left: only the rows
    themselves show an edit made at the back office after they arrived.
    """
    query = select(JournalChain, Installer.name).join(Installer, JournalChain.installer_id == Installer.id)
    if installer is not None:
        query = query.where(Installer.name == installer)
    chains = [(chain.id, name) for chain, name in session.execute(query.order_by(Installer.name, JournalChain.id))]
    verdicts: list[ChainVerdict] = []
    for chain_id, name in chains:
        chain = session.get(JournalChain, chain_id)
        assert chain is not None
        laptop, synced = chain.laptop_id, chain.last_synced
        count, problem = _walk(session, chain)
        verdicts.append(ChainVerdict(name, laptop, count, problem is None, problem, synced))
    return verdicts


def describe(verdicts: Sequence[ChainVerdict]) -> Iterable[str]:
    """One plain line per chain, for ``hubcheck-backoffice audit verify``."""
    for v in verdicts:
        who = f"{v.installer}, laptop {v.laptop}"
        noun = "entry" if v.entries == 1 else "entries"
        if v.intact:
            yield f"{who}: journal intact, {v.entries} {noun}"
        else:
            yield f"{who}: journal BROKEN ({v.entries} {noun} held): {v.first_broken}"
