"""Retention end to end: two recorded visits synced to a real back office on 127.0.0.1 (SQLite and
PostgreSQL); one's Service Requests all answered, the other's still in flight; both made old.
``hubcheck purge`` and ``hubcheck-backoffice purge`` forget the settled one's personal data only,
a dry run changes nothing, and each purge is recorded (laptop journal, back-office audit)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text, update

from app.backoffice.cli import main as backoffice_main
from app.backoffice.db import Store
from app.backoffice.models import InstallRecord, Intent
from app.cli import main as laptop_main
from app.domain.duis import CHFLocation
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import VisitRequest, record_visit
from app.services.jobs_import import import_jobs_file
from app.store import audit
from app.sync.engine import sync_once
from tests.test_backoffice_live import app_in_thread
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import bearer, issue_token

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
LABELS = json.loads((SAMPLE / "labels.json").read_text())
MPXN = {"J-000101": "1900000000001", "J-000104": "1900000000004"}  # new hubs: their 8.14.1 carries it


@pytest.fixture
def live(store: Store) -> Iterator[str]:
    with app_in_thread(store) as url:
        yield url


def _visit(ctx: AppContext, label: dict[str, str]) -> str:
    return record_visit(
        ctx,
        VisitRequest(job_ref=label["job_ref"], ppmid=label["ppmid_label"], hub=label["hub_label"],
                     meter=label["meter_label"], hub_location=CHFLocation.OUTSIDE_PREMISES,
                     override_reason="approved by supervisor"),
    ).install_id


def _answer_all(url: str, store: Store, install_id: str) -> None:
    """The DCC answers every request of the visit (I0), in the order the back office releases them."""
    admin = bearer(issue_token(store, f"ops-{install_id[:6]}", admin=True))
    for _round in range(10):
        with store.read() as session:
            open_keys = session.scalars(
                select(Intent.idempotency_key).where(Intent.install_id == install_id, Intent.state == "accepted")
            ).all()
        if not open_keys:
            return
        for key in open_keys:
            for event in ({"event": "submitted"}, {"event": "response", "response_code": "I0"}):
                r = httpx.post(f"{url}/v1/admin/intents/{key}/events", json=event, headers=admin, timeout=10)
                assert r.status_code == 200, r.text


def _laptop_snapshot(ctx: AppContext) -> tuple[object, ...]:
    with sqlite3.connect(ctx.db_path) as db:
        return tuple(
            db.execute(sql).fetchall()
            for sql in ("SELECT * FROM jobs ORDER BY job_ref", "SELECT id, meta_json FROM install_visits ORDER BY id",
                        "SELECT id, payload_json, duis_xml FROM outbox_intents ORDER BY id",
                        "SELECT COUNT(*) FROM audit_journal")
        )


def _mentions(ctx: AppContext, install_id: str, mpxn: str) -> bool:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload_json || duis_xml FROM outbox_intents WHERE install_id = :i"), {"i": install_id}
        ).scalars().all()
    return any(mpxn in row for row in rows)


def _backoffice_mentions(store: Store, install_id: str, mpxn: str) -> bool:
    with store.read() as session:
        rows = session.scalars(select(Intent).where(Intent.install_id == install_id)).all()
        return any(mpxn in json.dumps(r.body) or mpxn in r.duis_xml for r in rows)


def _settled_and_pending(tmp_path: Path, store: Store, live: str) -> tuple[AppContext, str, str]:
    """A laptop that recorded J-000101 and J-000104 and synced both; the DCC answered every
    request of the first (settled), none of the second's (pending)."""
    ctx = AppContext(tmp_path / "laptop")
    ctx.settings.set_many({"backoffice_url": live, "backoffice_token": issue_token(store, "alice")})
    import_cpl(ctx, SAMPLE / "cpl.csv")
    import_jobs_file(ctx, SAMPLE / "jobpack.json")
    settled, pending = _visit(ctx, LABELS[0]), _visit(ctx, LABELS[3])
    assert sync_once(ctx).status == "ok"
    _answer_all(live, store, settled)
    assert sync_once(ctx).status == "ok"
    return ctx, settled, pending


def test_purge_forgets_settled_visits_only_and_says_so(
    tmp_path: Path, store: Store, db_url: str, live: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx, settled, pending = _settled_and_pending(tmp_path, store, live)
    assert _mentions(ctx, settled, MPXN["J-000101"]) and _mentions(ctx, pending, MPXN["J-000104"])

    old = datetime.now(UTC) - timedelta(days=100)
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE install_visits SET started_at = :t"), {"t": old.isoformat()})
        conn.execute(text("UPDATE jobs SET imported_at = :t"), {"t": old.replace(tzinfo=None)})
    with store.write() as session:
        session.execute(update(InstallRecord).values(started_at=old))

    # The laptop: a dry run names what would go and changes nothing.
    before = _laptop_snapshot(ctx)
    capsys.readouterr()
    assert laptop_main(["--data-dir", str(ctx.data_dir), "purge", "--older-than", "30", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True and "J-000101" in dry["jobs"] and "J-000104" not in dry["jobs"]
    assert dry["kept_pending"] == ["J-000104"] and dry["visits"] == 1 and dry["intents"] >= 1
    assert _laptop_snapshot(ctx) == before

    assert laptop_main(["--data-dir", str(ctx.data_dir), "purge", "--older-than", "30"]) == 0
    assert "removed personal data of" in capsys.readouterr().out
    with ctx.engine.connect() as conn:
        jobs = {r[0]: r[1:] for r in conn.execute(
            text("SELECT job_ref, personal_mpxn, personal_address_lines, personal_postcode FROM jobs"))}
        assert jobs["J-000101"] == ("", "[]", "")
        assert jobs["J-000104"][0] == MPXN["J-000104"] and jobs["J-000104"][2]
        purges = [e for e in audit.entries(conn) if e.action == "retention.purged"]
        assert len(purges) == 1 and "J-000101" in purges[0].detail["jobs"]
        assert audit.verify_chain(conn).ok
    assert not _mentions(ctx, settled, MPXN["J-000101"])
    assert _mentions(ctx, pending, MPXN["J-000104"])
    assert laptop_main(["--data-dir", str(ctx.data_dir), "purge", "--older-than", "365", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["jobs"] == []  # nothing that recent to purge

    # The back office: the same rule over its copies.
    assert _backoffice_mentions(store, settled, MPXN["J-000101"])
    capsys.readouterr()
    assert backoffice_main(["--db", db_url, "purge", "--older-than", "30", "--dry-run", "--json"]) == 0
    dry_bo = json.loads(capsys.readouterr().out)
    assert (dry_bo["records"], dry_bo["kept_pending"], dry_bo["job_refs"]) == (1, 1, ["J-000101"])
    assert _backoffice_mentions(store, settled, MPXN["J-000101"])
    assert backoffice_main(["--db", db_url, "purge", "--older-than", "30", "--by", "dpo"]) == 0
    assert "removed personal data from 1 install record" in capsys.readouterr().out
    assert not _backoffice_mentions(store, settled, MPXN["J-000101"])
    assert _backoffice_mentions(store, pending, MPXN["J-000104"])
    with store.read() as session:
        audits = session.execute(text("SELECT actor, action FROM bo_audit WHERE action = 'retention.purge'")).all()
    assert [tuple(a) for a in audits] == [("dpo", "retention.purge")]


def test_purge_refuses_a_bad_period_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert laptop_main(["--data-dir", str(tmp_path), "purge", "--older-than", "-3"]) == 2
    err = capsys.readouterr().err
    assert "not a number of days" in err and "Traceback" not in err


def test_old_job_packs_go_with_the_records_and_a_purged_record_shows_no_personal_data(
    tmp_path: Path, store: Store, db_url: str, live: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A job pack holds every job's MPxN, address and postcode, and the back office's review
    reads a record's from it: the purge deletes old packs no unpurged record needs, keeps
    the one a pending record needs, and a purged record's review shows none of it even while
    a newer pack still names its job."""
    from app.backoffice.files import upload_jobpack
    from app.backoffice.models import JobPack
    from app.backoffice.review_query import BackofficeDbReviewSource

    ctx, settled, pending = _settled_and_pending(tmp_path, store, live)

    old = datetime.now(UTC) - timedelta(days=100)
    pack = (SAMPLE / "jobpack.json").read_bytes()
    whole = json.loads(pack)
    jobs = whole["jobs"] if isinstance(whole, dict) else whole
    only_101 = json.dumps({**whole, "jobs": [j for j in jobs if j["job_ref"] == "J-000101"]}
                          if isinstance(whole, dict) else [j for j in jobs if j["job_ref"] == "J-000101"]).encode()
    with store.write() as session:
        upload_jobpack(session, "old-all.json", pack, old)  # names J-000104, whose record is pending
        upload_jobpack(session, "old-101.json", only_101, old)  # only the settled job's
        upload_jobpack(session, "new-all.json", pack, datetime.now(UTC))  # recent: kept whatever it names
        session.execute(update(InstallRecord).values(started_at=old))
    source = BackofficeDbReviewSource(store)
    assert source.detail(settled).mpxn == MPXN["J-000101"]  # read from a pack

    capsys.readouterr()
    assert backoffice_main(["--db", db_url, "purge", "--older-than", "30", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["jobpacks"], dry["jobpack_names"]) == (1, ["old-101.json"])
    with store.read() as session:
        assert len(session.scalars(select(JobPack.id)).all()) == 3  # a dry run deletes nothing

    assert backoffice_main(["--db", db_url, "purge", "--older-than", "30", "--by", "dpo"]) == 0
    assert "deleted 1 job pack(s)" in capsys.readouterr().out
    with store.read() as session:
        assert sorted(session.scalars(select(JobPack.name)).all()) == ["new-all.json", "old-all.json"]
        detail = session.execute(text("SELECT detail FROM bo_audit WHERE action = 'retention.purge'")).scalar_one()
    assert (detail if isinstance(detail, dict) else json.loads(detail))["jobpack_names"] == ["old-101.json"]
    purged = source.detail(settled)
    assert (purged.mpxn, purged.address, purged.postcode) == (None, [], None)  # though new-all.json names J-000101
    assert source.detail(pending).mpxn == MPXN["J-000104"]
