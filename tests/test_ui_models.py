"""Every item model of the window, checked by qtmodeltester and by the table template's promises."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from app.domain.devices import CplEntry, DeviceType
from app.domain.reasons import Level, ReasonCode, Remedy, RemedyAction, Severity, make_reason
from app.domain.rules import Verdict
from app.domain.smets import Generation, Regime
from app.ui.models import (
    CplEntriesModel,
    CplRow,
    JobRow,
    JobsModel,
    QueueModel,
    QueueRow,
    ReasonsModel,
    reason_rows,
)

pytest_plugins = ["app.testing.plugin"]


def _verdict() -> Verdict:
    reasons = (
        make_reason(ReasonCode.SMETS_MISMATCH, prenotified="SMETS2+", hub="SMETS1"),
        make_reason(ReasonCode.S1_FW_READBACK),
    )
    remedies = (
        Remedy(RemedyAction.FIT_MATCHING_PPMID, "Fit a PPMID that was pre-notified as SMETS1."),
        Remedy(RemedyAction.UPDATE_LOCAL_CPL, "Update the local CPL copy when next online."),
    )
    return Verdict(Level.BLOCK, Regime.TACTICAL, None, reasons, remedies, Generation.SMETS2_PLUS,
                   Generation.SMETS1, None, None, True, frozenset(r.code for r in reasons))


def test_jobs_model(qapp, model_validator) -> None:
    model = JobsModel()
    model_validator.check(model, rows=0, columns=5)
    model.set_rows([JobRow("J-1", "ZZ1 1AA", "2026-11-23", "1 Sample Street", "190000", ("0A-1B",), "synced"),
                    JobRow("J-2", "ZZ2 2AA", "2026-11-24", "2 Sample Street", "190001", ())])
    model_validator.check(model, rows=2, columns=5)
    assert model.index(1, JobsModel.COL_POSTCODE).data() == "ZZ2 2AA"
    assert model.index(0, JobsModel.COL_STATE).data() == "Synced" and model.index(1, JobsModel.COL_STATE).data() == ""
    assert model.index(0, 0).data(Qt.ItemDataRole.UserRole) == "J-1"
    assert model.index(0, 0).data(Qt.ItemDataRole.CheckStateRole) is None
    assert model.find("J-2") == 1 and model.find("nope") == -1
    assert model.index(5, 0).data() is None


def test_reasons_model_pairs_each_reason_with_what_to_do(qapp, model_validator) -> None:
    model = ReasonsModel()
    rows = reason_rows(_verdict(), "nothing")
    model.set_rows(rows)
    model_validator.check(model, rows=2, columns=3)
    assert model.index(0, ReasonsModel.COL_SEVERITY).data() == "Stop"
    assert model.index(0, ReasonsModel.COL_SEVERITY).data(Qt.ItemDataRole.DecorationRole) is not None
    assert "pre-notified as SMETS2+" in model.index(0, ReasonsModel.COL_MESSAGE).data()
    assert "Fit a PPMID" in model.index(0, ReasonsModel.COL_TODO).data()
    # The CPL remedy is claimed by no reason here, so it is shown on the last row, not dropped.
    assert "Update the local CPL" in model.index(1, ReasonsModel.COL_TODO).data()
    assert rows[1].severity is Severity.INFO


def test_cpl_entries_model(qapp, model_validator) -> None:
    model = CplEntriesModel()
    entry = CplEntry(DeviceType.PPMID, "10E0", "00090100", "00020002", "0001", Generation.SMETS2_PLUS,
                     manufacturer_name="Samplecom")
    model.set_rows([CplRow("PPMID", entry)])
    model_validator.check(model, rows=1, columns=7)
    assert model.index(0, CplEntriesModel.COL_MANUFACTURER).data() == "Samplecom (10E0)"
    assert model.index(0, CplEntriesModel.COL_GENERATION).data() == "SMETS2+"
    assert model.index(0, CplEntriesModel.COL_STATUS).data() == "Active"


def test_queue_model(qapp, model_validator) -> None:
    model = QueueModel()
    model.set_rows([QueueRow("k1", "8.11", "Add PPMID", "0A-1B-2C-00-00-00-00-12", "failed", "E081401",
                             "J-1", "2026-11-23 10:00")])
    model_validator.check(model, rows=1, columns=7)
    assert model.index(0, QueueModel.COL_ERROR).data() == "E081401"
    assert model.index(0, QueueModel.COL_STATE).data() == "failed"
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None


def test_models_in_a_live_window(hubcheck, model_validator) -> None:
    """The window's own model instances, filled by real workers, pass the tester too."""
    hubcheck.pick_job("J-000102")
    hubcheck.scan_ppmid("Z:0A1B2C0000000024$I:0123456789ABCDEF00112233445566775464")
    hubcheck.scan_hub("0A-1B-2C-00-00-00-00-22")
    hubcheck.wait_verdict("block")
    window = hubcheck.window
    model_validator.check(window.view.job_picker.model)
    model_validator.check(window.view.verdict.reasons_model)
    model_validator.check(window.view.verdict.cpl_model, rows=2)
    hubcheck.set_override("Testing the queue model")
    hubcheck.record()
    hubcheck.queue_rows()
    model_validator.check(window.view.queue_page.model, rows=5)  # J-000102's SMETS1 hub is an existing hub: no 8.14
