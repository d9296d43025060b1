"""The hash-chained audit journal: appends link up, any tampering is found, writers never fork it."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from app.services.context import AppContext
from app.store import audit


def _journal(tmp_path: Path, n: int = 5) -> AppContext:
    ctx = AppContext(tmp_path / "data")
    for i in range(n):
        with ctx.engine.begin() as conn:
            audit.append(conn, "install.recorded", f"visit-{i}", {"job_ref": f"J-{i}", "n": i})
    return ctx


def test_entries_chain_from_genesis(tmp_path: Path) -> None:
    ctx = _journal(tmp_path)
    with ctx.engine.connect() as conn:
        entries = audit.entries(conn)
        check = audit.verify_chain(conn)
    assert check.ok and check.entries == 5
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert all(b.prev_hash == a.entry_hash for a, b in zip(entries, entries[1:], strict=False))


def test_an_edited_entry_is_found(tmp_path: Path) -> None:
    ctx = _journal(tmp_path)
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE audit_journal SET detail_json = :d WHERE id = 3"), {"d": '{"job_ref":"J-X","n":2}'})
    with ctx.engine.connect() as conn:
        check = audit.verify_chain(conn)
    assert not check.ok and check.broken_at == 3 and "changed" in (check.problem or "")


def test_a_removed_entry_is_found(tmp_path: Path) -> None:
    ctx = _journal(tmp_path)
    with ctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_journal WHERE id = 2"))
    with ctx.engine.connect() as conn:
        check = audit.verify_chain(conn)
    assert not check.ok and check.broken_at == 3


def test_entries_cut_off_the_end_are_found(tmp_path: Path) -> None:
    ctx = _journal(tmp_path)
    with ctx.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_journal WHERE id >= 4"))
    with ctx.engine.connect() as conn:
        check = audit.verify_chain(conn)
    assert not check.ok and "5 entries were written but 3 remain" in (check.problem or "")


def test_a_rolled_back_transaction_leaves_no_entry(tmp_path: Path) -> None:
    ctx = _journal(tmp_path, 2)
    try:
        with ctx.engine.begin() as conn:
            audit.append(conn, "install.recorded", "doomed", {})
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    with ctx.engine.connect() as conn:
        assert audit.verify_chain(conn).ok
        assert [e.subject for e in audit.entries(conn)] == ["visit-0", "visit-1"]


def test_concurrent_writers_from_two_processes_worth_of_engines_never_fork_the_chain(tmp_path: Path) -> None:
    first = _journal(tmp_path, 1)
    second = AppContext(tmp_path / "data")  # a second engine on the same file, like a second process
    errors: list[BaseException] = []

    def writer(ctx: AppContext, name: str) -> None:
        try:
            for i in range(40):
                with ctx.engine.begin() as conn:
                    audit.append(conn, "test", f"{name}-{i}", {"i": i})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(c, n)) for c, n in ((first, "a"), (second, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with first.engine.connect() as conn:
        check = audit.verify_chain(conn)
    assert check.ok and check.entries == 81
