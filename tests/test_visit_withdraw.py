"""Withdrawing a visit before anything was sent, against real SQLite files and a real back office.

The concurrency tests hold a real sync pass's HTTP request at a loopback proxy in front of
the real back-office process, withdraw while it is held, then let the pass finish: what
reached the server is read from the back office's own database.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from app.cli import main
from app.domain.duis import CHFLocation, ReadFirmwareVersion
from app.domain.ids import DeviceId, canonical_from_hex16
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import RepeatVisit, VisitOutcome, VisitRequest, abort_visit, record_visit
from app.services.jobs_import import import_jobs_file
from app.services.queue import enqueue_intents, export_duis, list_intents, queue_counts
from app.services.visit_guard import (
    MIN_REASON_CHARS,
    AlreadySent,
    NoSuchVisit,
    WithdrawError,
    previous_record,
    withdraw_visit,
)
from app.store import audit
from app.store.outbox import IntentState
from app.sync.engine import SyncReport, sync_once
from tests.sync_helpers import Backoffice, FaultProxy, backoffice_token, running_backoffice, server_keys

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
GOOD = json.loads((SAMPLE / "labels.json").read_text())[0]  # J-000101, verdict ok
REASON = "recorded against the wrong job"
A4 = ["8.14.1", "8.11", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"]  # a new hub: the meter's 8.11 too


def _ctx(folder: Path) -> AppContext:
    context = AppContext(folder)
    import_cpl(context, SAMPLE / "cpl.csv")
    import_jobs_file(context, SAMPLE / "jobpack.json")
    return context


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    return _ctx(tmp_path / "data")


def record(ctx: AppContext, job_ref: str = GOOD["job_ref"], **extra: object) -> VisitOutcome:
    values: dict = {
        "job_ref": job_ref,
        "ppmid": GOOD["ppmid_label"],
        "hub": GOOD["hub_label"],
        "meter": GOOD["meter_label"],
        "hub_location": CHFLocation.DEEP_INDOORS,
    }
    if job_ref != GOOD["job_ref"]:
        values["mpxn"] = "1900000000099"
    return record_visit(ctx, VisitRequest(**values), **extra)  # type: ignore[arg-type]


def fillers(ctx: AppContext, n: int) -> list[str]:
    """Intents outside any visit, queued before the visit's so a pass picks them first."""
    targets = [DeviceId(canonical_from_hex16(f"{i:016X}")) for i in range(1, n + 1)]
    return enqueue_intents(ctx, [ReadFirmwareVersion(target_id=t) for t in targets], validate=False)


def states_of(ctx: AppContext, install_id: str) -> list[str]:
    return [v.state for v in list_intents(ctx, install_id=install_id)]


def chain_ok(ctx: AppContext) -> bool:
    with ctx.engine.connect() as conn:
        return audit.verify_chain(conn).ok


def visit_row(ctx: AppContext, install_id: str) -> tuple[str, str | None, str | None]:
    with ctx.engine.connect() as conn:
        row = conn.execute(
            text("SELECT sync_state, withdrawn_at, withdraw_reason FROM install_visits WHERE id = :i"),
            {"i": install_id},
        ).one()
    return row[0], row[1], row[2]


def installs_on_server(bo: Backoffice) -> set[str]:
    from app.backoffice.db import open_store

    store = open_store(bo.db_url, create=False)
    try:
        with store.engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(text("SELECT install_id FROM bo_installs")).all()}
    finally:
        store.dispose()


# --------------------------------------------------------------------------- withdrawing, no network


def test_withdrawing_an_all_queued_visit_withdraws_every_request_in_one_journaled_step(ctx: AppContext) -> None:
    visit = record(ctx)
    outcome = withdraw_visit(ctx, visit.install_id, f"  {REASON}  ")
    assert outcome.reason == REASON and outcome.job_ref == GOOD["job_ref"] and outcome.outcome == "recorded"
    assert [srv for _, srv in outcome.intents] == A4
    assert outcome.record == "kept", "a record that never left the laptop stays here"
    assert states_of(ctx, visit.install_id) == ["withdrawn"] * 7
    counts = queue_counts(ctx)
    assert counts["withdrawn"] == 7 and counts["queued"] == 0
    assert list(counts) == [s.value for s in IntentState], "every state is counted, withdrawn included"
    sync_state, withdrawn_at, why = visit_row(ctx, visit.install_id)
    assert (sync_state, why) == ("withdrawn", REASON) and withdrawn_at == outcome.withdrawn_at.isoformat()
    with ctx.engine.connect() as conn:
        entries = audit.entries(conn, subject=visit.install_id)
    assert [e.action for e in entries] == ["install.recorded", "install.withdrawn"]
    assert entries[1].detail["reason"] == REASON
    assert [i["key"] for i in entries[1].detail["intents"]] == [k for k, _ in outcome.intents]
    assert entries[1].entry_hash == outcome.audit_hash
    assert chain_ok(ctx)


def test_an_aborted_visit_can_be_withdrawn_too(ctx: AppContext) -> None:
    aborted = abort_visit(ctx, "J-000102", "customer not home")
    outcome = withdraw_visit(ctx, aborted.install_id, "aborted the wrong job by mistake")
    assert (outcome.outcome, outcome.intents, outcome.record) == ("aborted", (), "kept")
    assert visit_row(ctx, aborted.install_id)[0] == "withdrawn"


@pytest.mark.parametrize("reason", ["", "   ", "x", "oops"])
def test_a_withdrawal_needs_a_reason_of_a_few_characters(ctx: AppContext, reason: str) -> None:
    visit = record(ctx)
    with pytest.raises(WithdrawError, match=f"at least {MIN_REASON_CHARS} characters"):
        withdraw_visit(ctx, visit.install_id, reason)
    assert states_of(ctx, visit.install_id) == ["queued"] * 7
    assert visit_row(ctx, visit.install_id) == ("queued", None, None)


def test_the_minimum_reason_is_the_windows_override_minimum() -> None:
    from app.ui.record_panel import MIN_OVERRIDE_CHARS

    assert MIN_REASON_CHARS == MIN_OVERRIDE_CHARS


def test_unknown_other_jobs_and_already_withdrawn_visits_are_refused(ctx: AppContext) -> None:
    with pytest.raises(NoSuchVisit, match="no recorded visit"):
        withdraw_visit(ctx, str(uuid.uuid4()), REASON)
    visit = record(ctx)
    with pytest.raises(NoSuchVisit, match="belongs to job J-000101"):
        withdraw_visit(ctx, visit.install_id, REASON, job_ref="J-000102")
    withdraw_visit(ctx, visit.install_id, REASON)
    with ctx.engine.connect() as conn:
        before = len(audit.entries(conn))
    with pytest.raises(WithdrawError, match="already withdrawn"):
        withdraw_visit(ctx, visit.install_id, "a second different reason")
    with ctx.engine.connect() as conn:
        assert len(audit.entries(conn)) == before
    assert visit_row(ctx, visit.install_id)[2] == REASON


def test_an_exported_request_cannot_be_withdrawn(ctx: AppContext, tmp_path: Path) -> None:
    visit = record(ctx)
    ctx.settings.set_many({"originator_id": "90-B3-D5-1F-30-01-00-00"})
    export_duis(ctx, tmp_path / "handoff")
    with pytest.raises(AlreadySent, match="too late to withdraw: 8.14.1 already exported") as info:
        withdraw_visit(ctx, visit.install_id, REASON)
    assert [s.how for s in info.value.sent] == ["exported"] * 7
    assert states_of(ctx, visit.install_id) == ["queued"] * 7 and chain_ok(ctx)


def test_withdrawn_requests_are_never_exported(ctx: AppContext, tmp_path: Path) -> None:
    visit = record(ctx)
    withdraw_visit(ctx, visit.install_id, REASON)
    ctx.settings.set_many({"originator_id": "90-B3-D5-1F-30-01-00-00"})
    assert export_duis(ctx, tmp_path / "handoff").files == ()


# --------------------------------------------------------------------------- against the real back office


@pytest.fixture(scope="module")
def backoffice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backoffice]:
    with running_backoffice(tmp_path_factory.mktemp("bo") / "backoffice.db") as bo:
        yield bo


class GateProxy(FaultProxy):
    """Holds the first ``POST /v1/intents`` that passes through until :meth:`open` is called,
    so a sync pass is genuinely in flight (rows claimed, request unanswered) while a test acts."""

    def __init__(self, upstream_port: int) -> None:
        super().__init__(upstream_port)
        self.arrived = threading.Event()
        self._open = threading.Event()
        self._held = False

    def open(self) -> None:
        self._open.set()

    def _upstream(self, request: bytes) -> bytes:
        if request.startswith(b"POST /v1/intents") and not self._held:
            self._held = True
            self.arrived.set()
            self._open.wait(30)
        return super()._upstream(request)


def laptop(tmp_path: Path, bo: Backoffice, url: str | None = None) -> tuple[AppContext, str]:
    name = f"inst-{uuid.uuid4().hex[:10]}"
    ctx = _ctx(tmp_path / f"laptop-{name}")
    ctx.settings.set_many({"backoffice_url": url or bo.url, "backoffice_token": backoffice_token(bo.db_url, name)})
    return ctx, name


def run_pass(ctx: AppContext, **options: object) -> tuple[threading.Thread, list[SyncReport]]:
    reports: list[SyncReport] = []
    worker = threading.Thread(
        target=lambda: reports.append(sync_once(ctx, pull_status=False, adopt_regime=False, **options)),  # type: ignore[arg-type]
        daemon=True,
    )
    worker.start()
    return worker, reports


def test_a_withdrawn_visit_is_never_sent_neither_requests_nor_record(tmp_path: Path, backoffice: Backoffice) -> None:
    ctx, name = laptop(tmp_path, backoffice)
    visit = record(ctx)
    keep = fillers(ctx, 3)
    withdraw_visit(ctx, visit.install_id, REASON)
    report = sync_once(ctx, ignore_backoff=True)
    assert report.status == "ok", report.errors
    assert (report.sent, report.visits_sent, report.queued_left) == (3, 0, 0)
    assert set(server_keys(backoffice.db_url, name)) == set(keep)
    assert visit.install_id not in installs_on_server(backoffice)
    assert states_of(ctx, visit.install_id) == ["withdrawn"] * 7
    assert visit_row(ctx, visit.install_id)[0] == "withdrawn"
    assert sync_once(ctx, ignore_backoff=True).sent == 0


def test_withdrawing_while_a_pass_is_in_flight_keeps_every_withdrawn_request_off_the_server(
    tmp_path: Path, backoffice: Backoffice
) -> None:
    with GateProxy(backoffice.port) as gate:
        ctx, name = laptop(tmp_path, backoffice, url=gate.url)
        first = fillers(ctx, 5)  # queued first: the pass's first batch
        visit = record(ctx)
        worker, reports = run_pass(ctx, batch_size=5)
        assert gate.arrived.wait(30), "the pass never sent its first batch"
        try:
            outcome = withdraw_visit(ctx, visit.install_id, REASON)  # while the batch is unanswered
        finally:
            gate.open()
        worker.join(60)
    assert not worker.is_alive()
    (report,) = reports
    assert report.status == "ok", report.errors
    assert report.sent == 5 and report.queued_left == 0
    on_server = server_keys(backoffice.db_url, name)
    assert set(on_server) == set(first)
    assert not {k for k, _ in outcome.intents} & set(on_server), "a withdrawn request reached the back office"
    assert states_of(ctx, visit.install_id) == ["withdrawn"] * 7
    # The visit record went up before the intents, so the back office has it as first sent.
    assert outcome.record == "at_backoffice" and visit.install_id in installs_on_server(backoffice)
    assert chain_ok(ctx)
    assert main(["--data-dir", str(ctx.data_dir), "audit", "verify"]) == 0


def test_a_request_the_pass_already_picked_stops_the_withdrawal_and_is_named(
    tmp_path: Path, backoffice: Backoffice
) -> None:
    with GateProxy(backoffice.port) as gate:
        ctx, name = laptop(tmp_path, backoffice, url=gate.url)
        visit = record(ctx)
        worker, reports = run_pass(ctx, batch_size=3)
        assert gate.arrived.wait(30)
        try:
            with pytest.raises(AlreadySent, match=r"too late to withdraw: 8\.14\.1 already sent \(sent\), and 2 more"):
                withdraw_visit(ctx, visit.install_id, REASON)
        finally:
            gate.open()
        worker.join(60)
    assert reports[0].status == "ok" and reports[0].sent == 7
    # The back office has them all: accepted, or waiting for their prerequisites (the 8.11s).
    states = states_of(ctx, visit.install_id)
    assert set(states) <= {"accepted", "waiting"} and states[0] == "accepted"
    assert len(server_keys(backoffice.db_url, name)) == 7
    with pytest.raises(AlreadySent) as info:
        withdraw_visit(ctx, visit.install_id, REASON)
    assert str(info.value).startswith("too late to withdraw: 8.14.1 already sent (accepted)")
    assert [s.srv for s in info.value.sent] == list(A4)
    assert all(s.state in ("accepted", "waiting") for s in info.value.sent)
    assert visit_row(ctx, visit.install_id)[1] is None and chain_ok(ctx)


def test_a_request_sent_once_and_handed_back_after_a_fault_cannot_be_withdrawn(
    tmp_path: Path, backoffice: Backoffice
) -> None:
    class DropIntents(FaultProxy):
        """Passes the visit record, drops every intents batch unanswered (nothing forwarded)."""

        def _upstream(self, request: bytes) -> bytes:
            if request.startswith(b"POST /v1/intents"):
                raise OSError("dropped")
            return super()._upstream(request)

    with DropIntents(backoffice.port) as proxy:
        ctx, name = laptop(tmp_path, backoffice, url=proxy.url)
        visit = record(ctx)
        report = sync_once(ctx, pull_status=False, adopt_regime=False, http_timeout=5.0)
    assert report.status != "ok" and report.visits_accepted == 1 and report.retried == 7
    assert not server_keys(backoffice.db_url, name)
    assert set(states_of(ctx, visit.install_id)) == {"queued"}, "the fault handed the requests back"
    with pytest.raises(AlreadySent, match="already sent once") as info:
        withdraw_visit(ctx, visit.install_id, REASON)
    assert info.value.sent and {s.how for s in info.value.sent} == {"sent_before"}


def test_a_record_whose_upload_fails_after_the_withdrawal_stays_on_the_laptop(
    tmp_path: Path, backoffice: Backoffice
) -> None:
    """The visit record is in flight when the visit is withdrawn; the upload fails; it is
    then kept here instead of going back to the queue as a live install."""

    class InstallsGate(GateProxy):
        def _upstream(self, request: bytes) -> bytes:
            if request.startswith(b"POST /v1/installs") and not self._held:
                self._held = True
                self.arrived.set()
                self._open.wait(30)
                raise OSError("dropped")  # the laptop hears nothing: a transient fault
            return FaultProxy._upstream(self, request)

    with InstallsGate(backoffice.port) as gate:
        ctx, _ = laptop(tmp_path, backoffice, url=gate.url)
        visit = record(ctx)
        worker, reports = run_pass(ctx, http_timeout=5.0)
        assert gate.arrived.wait(30)
        try:
            outcome = withdraw_visit(ctx, visit.install_id, REASON)
        finally:
            gate.open()
        worker.join(60)
    assert outcome.record == "in_flight"
    assert reports[0].visits_accepted == 0 and reports[0].sent == 0
    assert visit_row(ctx, visit.install_id)[0] == "withdrawn"
    assert visit.install_id not in installs_on_server(backoffice)
    again = sync_once(ctx, ignore_backoff=True, pull_status=False, adopt_regime=False)
    assert (again.visits_sent, again.sent) == (0, 0)


# --------------------------------------------------------------------------- the same job twice


def test_a_second_record_of_a_job_is_refused_without_confirmation(ctx: AppContext) -> None:
    first = record(ctx)
    with pytest.raises(RepeatVisit) as info:
        record(ctx, confirm_repeat=False)
    previous = info.value.previous
    assert previous.install_id == first.install_id and previous.outcome == "recorded"
    assert "J-000101" in str(info.value) and first.install_id in str(info.value)
    assert len(list_intents(ctx)) == 7, "nothing of the refused record was written"
    second = record(ctx, confirm_repeat=True)
    assert second.repeat_of is not None and second.repeat_of.install_id == first.install_id
    assert second.to_json()["repeat_of"]["install_id"] == first.install_id
    assert len(list_intents(ctx)) == 14 and chain_ok(ctx)
    with ctx.engine.connect() as conn:
        assert audit.entries(conn, subject=second.install_id)[0].detail["repeat_of"] == first.install_id


def test_the_default_keeps_recording_a_repeat_as_before(ctx: AppContext) -> None:
    record(ctx)
    assert record(ctx).repeat_of is not None


def test_a_withdrawn_or_aborted_visit_does_not_count_as_a_previous_install(ctx: AppContext) -> None:
    abort_visit(ctx, GOOD["job_ref"], "no access to the meter")
    first = record(ctx, confirm_repeat=False)
    assert first.repeat_of is None
    withdraw_visit(ctx, first.install_id, REASON)
    again = record(ctx, confirm_repeat=False)
    assert again.repeat_of is None


def test_previous_record_names_the_standing_visit(ctx: AppContext) -> None:
    assert previous_record(ctx, GOOD["job_ref"]) is None
    first = record(ctx)
    found = previous_record(ctx, GOOD["job_ref"])
    assert found is not None
    assert (found.install_id, found.job_ref, found.outcome) == (first.install_id, "J-000101", "recorded")
    assert found.ppmid is not None and found.ppmid.replace("-", "") in GOOD["ppmid_label"].replace("-", "").upper()
    assert found.hub is not None and found.verdict_level == "ok" and found.record_sync == "queued"
    assert (found.requests, found.states, found.summary) == (7, {"queued": 7}, "7 requests: 7 queued")
    assert found.to_json()["requests"] == 7 and found.recorded_at.tzinfo is not None
    aborted = abort_visit(ctx, GOOD["job_ref"], "customer asked us to come back")
    latest = previous_record(ctx, GOOD["job_ref"])
    assert latest is not None and (latest.install_id, latest.outcome, latest.summary) == (
        aborted.install_id, "aborted", "no requests"
    )
    install = previous_record(ctx, GOOD["job_ref"], installs_only=True)
    assert install is not None and install.install_id == first.install_id
    withdraw_visit(ctx, first.install_id, REASON)
    assert previous_record(ctx, GOOD["job_ref"], installs_only=True) is None


# --------------------------------------------------------------------------- command line


def _cli(ctx: AppContext, *args: str) -> list[str]:
    return ["--data-dir", str(ctx.data_dir), "install", *args]


def test_cli_withdraw_exit_codes(ctx: AppContext, capsys: pytest.CaptureFixture[str]) -> None:
    job = GOOD["job_ref"]
    assert main(_cli(ctx, "withdraw", "--job", job, "--reason", REASON)) == 2
    assert "no recorded visit" in capsys.readouterr().err
    visit = record(ctx)
    assert main(_cli(ctx, "withdraw", "--job", job, "--reason", "no")) == 2
    assert "at least 5 characters" in capsys.readouterr().err
    assert main(_cli(ctx, "withdraw", "--job", "J-000102", "--install-id", visit.install_id, "--reason", REASON)) == 2
    assert "belongs to job J-000101" in capsys.readouterr().err
    assert main(_cli(ctx, "withdraw", "--job", job, "--reason", REASON, "--json")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["install_id"] == visit.install_id and out["withdrawn"] is True and out["record"] == "kept"
    assert [i["srv"] for i in out["intents"]] == A4
    assert main(_cli(ctx, "withdraw", "--job", job, "--install-id", visit.install_id, "--reason", REASON)) == 2
    assert "already withdrawn" in capsys.readouterr().err
    assert main(["--data-dir", str(ctx.data_dir), "queue", "list", "--state", "withdrawn", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [i["state"] for i in listed["intents"]] == ["withdrawn"] * 7 and listed["counts"]["withdrawn"] == 7
    assert main(["--data-dir", str(ctx.data_dir), "audit", "verify"]) == 0


def test_cli_withdraw_refuses_with_exit_1_naming_what_was_sent(
    ctx: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    visit = record(ctx)
    with ctx.engine.begin() as conn:  # as a sync pass leaves it once the back office has the first request
        conn.execute(
            text("UPDATE outbox_intents SET state = 'accepted', attempts = 1 WHERE install_id = :i AND srv = '8.11'"),
            {"i": visit.install_id},
        )
    assert main(_cli(ctx, "withdraw", "--job", GOOD["job_ref"], "--reason", REASON, "--json")) == 1
    captured = capsys.readouterr()
    refused = json.loads(captured.out)
    assert refused["refused"] is True and refused["already_sent"][0]["srv"] == "8.11"
    assert "too late to withdraw: 8.11 already sent (accepted)" in captured.err
    assert states_of(ctx, visit.install_id).count("queued") == 5


def test_cli_record_stays_permissive_and_names_the_first_record(
    ctx: AppContext, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["record", "--job", GOOD["job_ref"], "--ppmid", GOOD["ppmid_label"], "--hub", GOOD["hub_label"],
            "--meter", GOOD["meter_label"], "--json"]
    assert main(_cli(ctx, *args)) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["repeat_of"] is None
    assert main(_cli(ctx, *args)) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["repeat_of"]["install_id"] == first["install_id"]
    assert "already had a recorded install" in captured.err and first["install_id"] in captured.err
    assert main(_cli(ctx, *args, "--again")) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["repeat_of"] is not None and captured.err == ""


# --------------------------------------------------------------------------- an older data folder


def test_a_data_folder_from_before_withdrawal_is_upgraded_and_its_visit_can_be_withdrawn(tmp_path: Path) -> None:
    import sqlite3

    from app.store.db import DB_FILE_NAME
    from app.store.migrations import STEPS

    folder = tmp_path / "data"
    old = _ctx(folder)
    visit = record(old)
    old.close()
    step = next(v for v, f in STEPS.items() if f.__name__ == "_add_visit_withdrawal")
    raw = sqlite3.connect(folder / DB_FILE_NAME)
    # A laptop from before withdrawal had none of the later schema either: no review index.
    for (trigger,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        raw.execute(f'DROP TRIGGER "{trigger}"')
    raw.execute("DROP TABLE review_visit_reasons")
    raw.execute("DROP TABLE review_visits")
    raw.execute("ALTER TABLE install_visits DROP COLUMN withdrawn_at")
    raw.execute("ALTER TABLE install_visits DROP COLUMN withdraw_reason")
    raw.execute(f"PRAGMA user_version={step - 1}")
    raw.commit()
    raw.close()
    ctx = AppContext(folder)
    assert visit_row(ctx, visit.install_id) == ("queued", None, None)
    assert withdraw_visit(ctx, visit.install_id, REASON).record == "kept"
    assert states_of(ctx, visit.install_id) == ["withdrawn"] * 7 and chain_ok(ctx)
    assert list(folder.glob(f"{DB_FILE_NAME}.v{step - 1}.*.bak")), "a backup was taken first"
