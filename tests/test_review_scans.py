"""The analyst sees both scans, never an install code, and the laptop's approval list names the
right device (issue 13).

A visit recorded or aborted from a label carrying an install code keeps the text each label gave,
the code's characters masked with ``•``, and how it was entered when the window knows. The
laptop's review detail, the back office's (after a real sync to a back office on 127.0.0.1) and
the CSV export show that text; none of them, nor the stored meta, holds the code's hex. The
laptop's own Approvals list names the PPMID an 8.4 changes (its DeviceID, not the DCC's address
the request is sent to) and lists its manual inventory changes, still not decidable there.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.backoffice.db import Store
from app.backoffice.review_query import BackofficeDbReviewSource
from app.domain.duis import CHFLocation
from app.domain.labels import SCAN_MASK, masked_scan_text, parse_label
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import RemedyKind, VisitRequest, abort_visit, record_visit
from app.services.jobs_import import import_jobs_file
from app.services.review.contract import ReviewError, ReviewFilter
from app.services.review.export import export_records
from app.services.review.local import LocalReviewSource
from app.services.visit import RecordChoices, VisitJob, VisitSession, run_abort, run_check, run_record
from tests.test_backoffice_live import app_in_thread
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import sync_laptop_copy

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
LABELS: dict[str, dict[str, Any]] = {}
for _row in json.loads((SAMPLE / "labels.json").read_text()):  # a job's first story is its good scan
    LABELS.setdefault(_row["job_ref"], _row)
GOOD = "J-000101"  # OK under both regimes; its PPMID label carries an install code
MISMATCH = "J-000102"  # a bilingual PPMID pre-notified for the other generation: 8.4 or manual change
CODE = LABELS[GOOD]["ppmid_label"].split("$I:")[1]  # 30313233…F596
MASKED_GOOD = "Z:0A1B2C0000000014$I:" + SCAN_MASK * len(CODE)


def no_code_in(text_: str, code: str = CODE) -> None:
    """Neither the code nor any 8-digit stretch of it (a partly masked copy) is in the text."""
    upper = text_.upper()
    for start in range(0, len(code) - 7):
        assert code[start:start + 8].upper() not in upper, f"install code hex {code[start:start + 8]} leaked"


# --------------------------------------------------------------------------- the masking rule


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("Z:0A1B2C0000000014$I:30313233343536373839414243444546F596", MASKED_GOOD),
        ("0A1B2C0000000014|30313233343536373839414243444546F596", "0A1B2C0000000014|" + SCAN_MASK * 36),
        ("HUE:Z:30313233343536373839414243444546F596 M:0A1B2C0000000014",
         f"HUE:Z:{SCAN_MASK * 36} M:0A1B2C0000000014"),
        ("G$M:1234$A:0A1B2C0000000014$I:30313233343536373839414243444546F596",
         "G$M:1234$A:0A1B2C0000000014$I:" + SCAN_MASK * 36),
        # a code whose CRC fails is masked all the same
        ("Z:0A1B2C0000000014$I:30313233343536373839414243444546F590", MASKED_GOOD),
        # a code the parser did not take as one, printed in groups beside the ID
        ("ID 0A-1B-2C-00-00-00-00-14 IC 3031 3233 3435", f"ID 0A-1B-2C-00-00-00-00-14 IC {'•' * 4} {'•' * 4} {'•' * 4}"),
        ("0A-1B-2C-00-00-00-00-12", "0A-1B-2C-00-00-00-00-12"),
    ],
)
def test_a_labels_text_keeps_its_device_id_and_masks_its_install_code(label: str, shown: str) -> None:
    masked = masked_scan_text(parse_label(label))
    assert masked == shown
    no_code_in(masked, "30313233343536373839414243444546F596")


# --------------------------------------------------------------------------- the laptop


def _laptop(data: Path) -> AppContext:
    ctx = AppContext(data)
    import_cpl(ctx, SAMPLE / "cpl.csv")
    import_jobs_file(ctx, SAMPLE / "jobpack.json")
    return ctx


def _session_visit(ctx: AppContext, job: str, entry: str | None) -> VisitSession:
    """The window's visit session with both labels scanned and judged (no window needed)."""
    row = LABELS[job]
    session = VisitSession()
    session.choose_job(VisitJob(job))
    session.set_label("ppmid", parse_label(row["ppmid_label"]), entry)
    session.set_label("hub", parse_label(row["hub_label"]), entry)
    order = session.check_order()
    assert order is not None
    assert session.accept(run_check(ctx, order))
    return session


def _request(job: str, **extra: Any) -> VisitRequest:
    row = LABELS[job]
    return VisitRequest(
        job_ref=job, ppmid=row["ppmid_label"], hub=row["hub_label"], meter=row["meter_label"],
        hub_location=CHFLocation.DEEP_INDOORS, scenario="existing-hub", **extra,
    )  # fmt: skip


@dataclass(frozen=True)
class Laptop:
    data: Path
    recorded: str  # through the visit session, labels from the scanner
    aborted: str  # through the visit session, labels from the camera
    by_command: str  # record_visit with raw text, as `hubcheck install record` does it
    aborted_by_command: str
    remedy_8_4: str  # the 8.4 intent's key
    manual: str  # a visit asking for a manual inventory change
    withdrawn_manual: str  # another, withdrawn: nothing waits for it


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> Laptop:
    data = tmp_path_factory.mktemp("scans") / "data"
    ctx = _laptop(data)
    try:
        session = _session_visit(ctx, GOOD, "scanner")
        recorded = run_record(ctx, session.record_order(RecordChoices(
            meter_id=LABELS[GOOD]["meter_label"], hub_location=CHFLocation.DEEP_INDOORS, scenario="existing-hub")))
        session.recorded(recorded)
        session = _session_visit(ctx, GOOD, "camera")
        aborted = run_abort(ctx, session.abort_order("the customer was out"))
        by_command = record_visit(ctx, _request(GOOD))
        aborted_by_command = abort_visit(ctx, GOOD, "no access", ppmid=LABELS[GOOD]["ppmid_label"],
                                         hub=LABELS[GOOD]["hub_label"])
        remedy = record_visit(ctx, _request(MISMATCH, override_reason="moving it", remedy=RemedyKind.UPDATE_INVENTORY))
        manual = record_visit(ctx, _request(MISMATCH, override_reason="asked the DCC",
                                            remedy=RemedyKind.MANUAL_INVENTORY_CHANGE))
        withdrawn = record_visit(ctx, _request(MISMATCH, override_reason="asked the DCC twice",
                                               remedy=RemedyKind.MANUAL_INVENTORY_CHANGE))
        with ctx.engine.begin() as conn:
            conn.execute(text("UPDATE install_visits SET withdrawn_at = finished_at, withdraw_reason = 'twice' "
                              "WHERE id = :i"), {"i": withdrawn.install_id})
    finally:
        ctx.close()
    return Laptop(
        data, recorded.install_id, aborted.install_id, by_command.install_id, aborted_by_command.install_id,
        next(i.idempotency_key for i in remedy.intents if i.srv == "8.4"), manual.install_id, withdrawn.install_id,
    )


@pytest.fixture
def local(laptop: Laptop) -> Iterator[LocalReviewSource]:
    source = LocalReviewSource(laptop.data)
    yield source
    source.close()


def test_stored_meta_holds_masked_scans_and_how_they_were_entered_never_the_code(laptop: Laptop) -> None:
    ctx = AppContext(laptop.data)
    try:
        with ctx.engine.connect() as conn:
            metas = {i: json.loads(m) for i, m in conn.execute(text("SELECT id, meta_json FROM install_visits"))}
            journal = " ".join(str(d) for (d,) in conn.execute(text("SELECT detail_json FROM audit_journal")))
    finally:
        ctx.close()
    hub = LABELS[GOOD]["hub_label"]
    assert {k: metas[laptop.recorded][k] for k in ("ppmid_scan", "hub_scan", "ppmid_scan_entry", "hub_scan_entry")} \
        == {"ppmid_scan": MASKED_GOOD, "hub_scan": hub, "ppmid_scan_entry": "scanner", "hub_scan_entry": "scanner"}
    assert metas[laptop.aborted] == {"ppmid_scan": MASKED_GOOD, "hub_scan": hub,
                                     "ppmid_scan_entry": "camera", "hub_scan_entry": "camera"}
    # The command line does not know how the text came: the scans are kept, the entry is not.
    assert (metas[laptop.by_command]["ppmid_scan"], metas[laptop.by_command]["hub_scan"]) == (MASKED_GOOD, hub)
    assert "ppmid_scan_entry" not in metas[laptop.by_command]
    assert metas[laptop.aborted_by_command] == {"ppmid_scan": MASKED_GOOD, "hub_scan": hub}
    no_code_in(json.dumps(metas) + journal)


def test_the_laptops_detail_shows_both_scans(local: LocalReviewSource, laptop: Laptop) -> None:
    for record in (laptop.recorded, laptop.aborted, laptop.by_command):
        detail = local.detail(record)
        assert (detail.ppmid_scan, detail.hub_scan) == (MASKED_GOOD, LABELS[GOOD]["hub_label"])
    mismatch = local.detail(laptop.manual)
    assert mismatch.ppmid_scan == "Z:0A1B2C0000000024$I:" + SCAN_MASK * 36


@pytest.mark.parametrize("redact", [False, True])
def test_the_csv_has_the_masked_scans_after_the_redacted_column(
    local: LocalReviewSource, laptop: Laptop, tmp_path: Path, redact: bool
) -> None:
    out = tmp_path / "visits.csv"
    export_records(local, ReviewFilter(), "csv", redact, out)
    raw = out.read_text(encoding="utf-8-sig")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        names = list(reader.fieldnames or ())
        at = names.index("redacted")  # the scan columns follow it, in this order, never moved
        assert names[at : at + 5] == ["redacted", "ppmid_scan", "hub_scan", "ppmid_scan_entry", "hub_scan_entry"]
        rows = {row["record_id"]: row for row in reader}
    assert (rows[laptop.recorded]["ppmid_scan"], rows[laptop.recorded]["hub_scan"]) == (
        MASKED_GOOD, LABELS[GOOD]["hub_label"])
    assert (rows[laptop.recorded]["ppmid_scan_entry"], rows[laptop.aborted]["hub_scan_entry"]) == ("scanner", "camera")
    assert rows[laptop.by_command]["ppmid_scan_entry"] == ""  # the command line does not know
    assert rows[laptop.aborted]["ppmid_scan"] == MASKED_GOOD
    no_code_in(raw)


def test_the_laptops_approvals_name_the_ppmid_and_list_manual_changes(local: LocalReviewSource, laptop: Laptop) -> None:
    ppmid = str(parse_label(LABELS[MISMATCH]["ppmid_label"]).device_id)
    waiting = {a.approval_id: a for a in local.approvals()}
    assert set(waiting) == {laptop.remedy_8_4, f"install:{laptop.manual}"}  # not the withdrawn one

    remedy = waiting[laptop.remedy_8_4]
    assert remedy.kind == "remedy_8_4" and remedy.srv == "8.4"
    assert remedy.target != ppmid  # the request goes to the DCC's own address …
    assert f"for device {ppmid}," in remedy.summary  # … but it changes the PPMID
    assert remedy.target not in remedy.summary

    change = waiting[f"install:{laptop.manual}"]
    assert (change.kind, change.record_id, change.job_ref, change.srv, change.target) == (
        "inventory_change", laptop.manual, MISMATCH, "", ppmid)
    assert change.summary.startswith(f"Ask the DCC for a manual inventory change of device {ppmid}: move its ")
    assert change.summary.endswith("waiting for the back office's approval")
    assert [a.requested_at for a in local.approvals()] == sorted(a.requested_at for a in local.approvals())

    assert local.can_approve is False
    with pytest.raises(ReviewError, match="decided at the back office"):
        local.decide(f"install:{laptop.manual}", True, "looks right")


# --------------------------------------------------------------------------- the back office


def test_the_back_offices_detail_and_csv_show_the_scans_after_a_sync(
    laptop: Laptop, store: Store, tmp_path: Path
) -> None:
    with app_in_thread(store) as url:
        sync_laptop_copy(store, url, laptop.data, tmp_path / "laptop")
    source = BackofficeDbReviewSource(store)
    for record in (laptop.recorded, laptop.aborted, laptop.by_command):
        detail = source.detail(record)
        assert (detail.ppmid_scan, detail.hub_scan) == (MASKED_GOOD, LABELS[GOOD]["hub_label"])
    out = tmp_path / "office.csv"
    export_records(source, ReviewFilter(), "csv", True, out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["record_id"]: row for row in csv.DictReader(handle)}
    assert rows[laptop.recorded]["ppmid_scan"] == MASKED_GOOD
    no_code_in(out.read_text(encoding="utf-8-sig"))
    with store.read() as session:
        stored = session.execute(text("SELECT meta FROM bo_installs")).scalars().all()
    no_code_in(json.dumps([m if isinstance(m, dict) else json.loads(m) for m in stored]))


# --------------------------------------------------------------------------- the window


def test_a_visit_recorded_from_scanner_bursts_in_the_window_keeps_its_masked_scans(hubcheck) -> None:  # type: ignore[no-untyped-def]
    hubcheck.pick_job(GOOD)
    hubcheck.wedge_burst(LABELS[GOOD]["ppmid_label"])
    hubcheck.wedge_burst(LABELS[GOOD]["hub_label"])
    hubcheck.wait_verdict("ok")
    outcome = hubcheck.record()
    source = LocalReviewSource(hubcheck.window.ctx)
    detail = source.detail(outcome.install_id)
    assert (detail.ppmid_scan, detail.hub_scan) == (MASKED_GOOD, LABELS[GOOD]["hub_label"])
    with hubcheck.window.ctx.engine.connect() as conn:
        meta = json.loads(conn.execute(text("SELECT meta_json FROM install_visits WHERE id = :i"),
                                       {"i": outcome.install_id}).scalar_one())
    assert (meta["ppmid_scan_entry"], meta["hub_scan_entry"]) == ("scanner", "scanner")
    no_code_in(json.dumps(meta))
