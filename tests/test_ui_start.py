"""Start-up, first run, imports, status bar, settings, sound, and the ``hubcheck-gui`` entry point."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.testing.driver import HubCheckDriver
from app.testing.window import open_window

pytest_plugins = ["app.testing.plugin"]
REPO = Path(__file__).resolve().parents[1]


def test_launch_builds_without_touching_the_database(qtbot, tmp_path) -> None:
    from app.ui import launch

    window = launch(tmp_path / "data")
    qtbot.addWidget(window, before_close_func=lambda w: w.shutdown())
    assert window.objectName() == "mainWindow"
    assert not (tmp_path / "data" / "hubcheck.db").exists()  # nothing opened before the first paint
    assert window.findChild(type(window.view.regime), "regimeIndicator").text() == "Regime: Tactical"
    for name in ("jobPicker", "ppmidScanInput", "hubScanInput", "verdictBanner", "verdictLevelLabel",
                 "resultingSmetsLabel", "regimeIndicator", "reasonsList", "recordInstallButton",
                 "overrideReasonInput", "queueTable", "syncNowButton", "cplStatusLabel", "queueCountLabel"):
        assert window.findChild(object, name) is not None, name


def test_status_bar_after_the_cache_opens(hubcheck) -> None:
    status = hubcheck.status()
    assert status["cplStatusLabel"].startswith("CPL: cpl.csv, file modified ")  # the sample states no date
    assert status["cplStatusLabel"].endswith("14 rows")
    assert status["regimeIndicator"] == "Regime: Tactical"
    assert "Offline" in status["onlineLabel"]
    assert status["queueCountLabel"] == "Queued: 0"
    assert not hubcheck.widget("firstRunBanner").isVisible()


def test_first_run_offers_the_sample_data(qtbot, hubcheck_empty_window) -> None:
    hubcheck = HubCheckDriver(hubcheck_empty_window, qtbot)
    assert hubcheck.widget("firstRunBanner").isVisible()
    assert "none imported" in hubcheck.text("cplStatusLabel")
    summary = hubcheck.load_sample()
    assert summary.kind == "sample" and summary.jobs == 11
    qtbot.waitUntil(lambda: "14 rows" in hubcheck.text("cplStatusLabel"))
    assert not hubcheck.widget("firstRunBanner").isVisible()
    assert "Sample data loaded" in hubcheck.text("importSummaryLabel")
    hubcheck.pick_job("J-000101")


def test_cpl_import_reports_rejected_rows(qtbot, hubcheck_empty_window, tmp_path) -> None:
    hubcheck = HubCheckDriver(hubcheck_empty_window, qtbot)
    source = (REPO / "resources" / "sample" / "cpl.csv").read_text(encoding="utf-8").splitlines()
    bad = [*source, "PPMID,Broken,10E0,,0001,00020002,SMETS2+,SMETS V4.2,3.2,Active,,2026-10-01",
           "TOASTER,Broken,10E0,00090100,0001,00020002,SMETS2+,SMETS V4.2,3.2,Active,,2026-10-01"]
    path = tmp_path / "cpl-with-bad-rows.csv"
    path.write_text("\n".join(bad) + "\n", encoding="utf-8")
    summary = hubcheck.import_file(path)
    assert summary.kind == "cpl" and summary.imported == 14 and len(summary.rejected) == 2
    text = hubcheck.text("importSummaryLabel")
    assert "14 rows" in text and "2 rejected" in text
    problems = hubcheck.widget("importProblemsText").toPlainText()
    assert "line 16" in problems and "line 17" in problems
    qtbot.waitUntil(lambda: "14 rows" in hubcheck.text("cplStatusLabel"))


def test_unreadable_cpl_imports_nothing_and_says_why(qtbot, hubcheck_empty_window, tmp_path) -> None:
    hubcheck = HubCheckDriver(hubcheck_empty_window, qtbot)
    path = tmp_path / "notes.csv"
    path.write_text("hello,world\n1,2\n", encoding="utf-8")
    assert hubcheck.import_file(path) is None
    assert hubcheck.text("importSummaryLabel").startswith("✖ Nothing imported")


def test_dropping_a_job_pack_imports_it(qtbot, hubcheck_empty_window) -> None:
    window = hubcheck_empty_window
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(REPO / "resources" / "sample" / "jobpack.json"))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.importFinished, timeout=10_000) as blocker:
        window.dropEvent(event)
    assert blocker.args[0].kind == "jobpack" and blocker.args[0].jobs == 11


def test_settings_are_validated_with_clear_errors(hubcheck) -> None:
    hubcheck.window.show_tab(2)
    page = hubcheck.window.view.settings_page
    hubcheck.widget("originatorInput").setText("not-an-eui")
    hubcheck.widget("backofficeUrlInput").setText("ftp://nowhere")
    assert not page.save()
    assert hubcheck.widget("settingsError_originator_id").isVisible()
    assert "EUI-64" in hubcheck.text("settingsError_originator_id")
    assert "http" in hubcheck.text("settingsError_backoffice_url")
    assert "2 field(s)" in hubcheck.text("settingsSummaryLabel")
    assert hubcheck.window.ctx.settings.get("originator_id") == ""  # nothing saved

    hubcheck.widget("originatorInput").setText("90-b3-d5-1f-30-01-00-00")
    hubcheck.widget("backofficeUrlInput").setText("https://backoffice.invalid/")
    with hubcheck.qtbot.waitSignal(hubcheck.window.settingsSaved):
        assert page.save()
    assert hubcheck.window.ctx.settings.get("originator_id") == "90-B3-D5-1F-30-01-00-00"
    assert hubcheck.text("settingsSummaryLabel").startswith("Saved")
    assert hubcheck.text("onlineLabel") == "Back office: not contacted yet"


def test_sync_without_a_back_office_says_so(hubcheck) -> None:
    assert hubcheck.sync_now() == "not_configured"
    assert "backoffice_url" in hubcheck.text("syncResultLabel")
    assert "Settings pane" in hubcheck.text("syncResultLabel")  # where an installer fixes it, not a command


def test_mute_toggle_is_saved(hubcheck) -> None:
    window = hubcheck.window
    window.action_mute.setChecked(False)
    with hubcheck.qtbot.waitSignal(window.settingsSaved):
        window.action_mute.trigger()  # checks it: muted
    assert window.ctx.settings.get("sound_enabled") is False
    with hubcheck.qtbot.waitSignal(window.settingsSaved):
        window.action_mute.trigger()
    assert window.ctx.settings.get("sound_enabled") is True
    assert window.sound.enabled


def test_every_control_has_an_accessible_name_and_takes_focus(hubcheck) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QSpinBox, QTableView

    for kind in (QLineEdit, QComboBox, QAbstractButton, QSpinBox, QTableView):
        for widget in hubcheck.window.findChildren(kind):
            if not widget.objectName() or widget.objectName().startswith("qt_") or not widget.isVisibleTo(hubcheck.window):
                continue
            if isinstance(widget, QLineEdit) and isinstance(widget.parent(), QComboBox | QSpinBox):
                continue
            name = widget.accessibleName() or (widget.text() if isinstance(widget, QAbstractButton) else "")
            assert name.strip(), f"{kind.__name__} {widget.objectName()} has no accessible name"
            assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus, f"{widget.objectName()} cannot be tabbed to"


def test_reopening_keeps_the_queue(qtbot, hubcheck_sample_data_dir) -> None:
    window = open_window(qtbot, hubcheck_sample_data_dir)
    driver = HubCheckDriver(window, qtbot)
    driver.pick_job("J-000101")
    driver.scan_ppmid("Z:0A1B2C0000000014$I:30313233343536373839414243444546F596")
    driver.scan_hub("0A-1B-2C-00-00-00-00-12")
    queued = len(driver.record().intents)
    assert queued >= 5  # the scenario decides how many (A5): whatever it queued survives a restart
    window.shutdown()
    window.close()
    again = open_window(qtbot, hubcheck_sample_data_dir)
    qtbot.waitUntil(lambda: again.view.queue_count.text() == f"Queued: {queued}")
    again.shutdown()


def test_smoke_entry_point_paints_and_exits(tmp_path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-m", "app", "--smoke", "--data-dir", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=60, env=env, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "first-paint" in run.stdout


_MODULES_AT_FIRST_PAINT = r"""
import builtins, sys
import app.__main__ as entry

_print = builtins.print
def _report(*args, **kwargs):
    if args and args[0] == "first-paint":
        _print("modules:" + ",".join(sorted(sys.modules)), flush=True)
    _print(*args, **kwargs)
builtins.print = _report
raise SystemExit(entry.main(["--smoke", "--data-dir", sys.argv[1]]))
"""


def test_first_paint_loads_no_database_decoder_or_rules_module(tmp_path) -> None:
    """What start-up may not pay for before the window is on screen: SQLAlchemy and the
    store, the decoders, QtMultimedia, and the domain beyond what validating the settings
    needs (the label parser, device records, reasons and rules load after the paint)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", _MODULES_AT_FIRST_PAINT, str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=60, env=env, cwd=REPO)
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith("modules:"))
    loaded = set(line.removeprefix("modules:").split(","))
    assert "PySide6.QtWidgets" in loaded and "app.ui.main_window" in loaded  # the report is real
    for heavy in ("sqlalchemy", "app.store.db", "zxingcpp", "pyzbar", "PySide6.QtMultimedia", "numpy",
                  "app.domain.labels", "app.domain.devices", "app.domain.reasons", "app.domain.rules",
                  "app.domain.duis", "httpx"):
        assert heavy not in loaded, f"{heavy} is imported before the first paint"


_RUN_UNTIL_LOGGING = r"""
import gc
import sys
import app.__main__ as entry
from PySide6.QtWidgets import QApplication

_open_log = entry._configure_logging
def _open_then_quit(data_dir, early):
    _open_log(data_dir, early)
    print("collecting:", gc.isenabled(), flush=True)
    window = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow")
    print("shortcuts:", ",".join(a.shortcut().toString() for a in window.actions()), flush=True)
    QApplication.instance().exit(0)
entry._configure_logging = _open_then_quit
raise SystemExit(entry.main(["--data-dir", sys.argv[1]]))
"""


def test_after_the_first_paint_the_log_opens_and_the_menus_fill(tmp_path) -> None:
    """The log file is opened once the window is on screen; a problem met while the window
    was being built (here: a damaged settings file) still reaches it. The menus' actions and
    their shortcuts are in place by then too."""
    data = tmp_path / "d"
    data.mkdir()
    (data / "settings.json").write_text("{ not json", encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", _RUN_UNTIL_LOGGING, str(data)],
                         capture_output=True, text=True, timeout=60, env=env, cwd=REPO)
    assert run.returncode == 0, run.stderr
    log_text = (data / "logs" / "hubcheck.log").read_text(encoding="utf-8")
    assert "WARNING app.ui.main_window: settings:" in log_text
    assert "settings.json" in log_text
    assert "collecting: True" in run.stdout  # garbage collection, paused for start-up, is back on
    shortcuts = next(x for x in run.stdout.splitlines() if x.startswith("shortcuts: ")).removeprefix("shortcuts: ").split(",")
    for key in ("Ctrl+J", "Ctrl+L", "F2", "F3", "Ctrl+Return", "Ctrl+M", "F5"):  # the menus filled after the paint
        assert key in shortcuts, key


def test_a_new_data_folder_is_tried_off_the_ui_thread(qtbot, tmp_path, monkeypatch) -> None:
    """Choosing a data folder in Settings: a folder that cannot hold the data (here a file's
    path) is refused beside the field; a usable one is remembered for the next start. The
    folder is created and written to on a worker, not while the pane waits."""
    from app.ui import data_folder

    monkeypatch.delenv("HUBCHECK_HOME")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    window = open_window(qtbot, tmp_path / "data")
    hubcheck = HubCheckDriver(window, qtbot)
    window.show_tab(2)
    page = window.view.settings_page
    blocker_file = tmp_path / "not-a-folder"
    blocker_file.write_text("x", encoding="utf-8")

    hubcheck.widget("dataDirInput").setText(str(blocker_file))
    hubcheck.widget("backofficeUrlInput").setText("https://backoffice.invalid/")
    assert page.save()  # accepted for trying: the folder's answer comes from the worker
    qtbot.waitUntil(lambda: hubcheck.widget("settingsError_data_dir").isVisible(), timeout=5_000)
    assert "is a file, not a folder" in hubcheck.text("settingsError_data_dir")
    assert hubcheck.text("settingsSummaryLabel").startswith("Not saved")
    assert data_folder.remembered() is None
    assert window.ctx.settings.get("backoffice_url") == ""  # a refused folder saves nothing, like any red field

    chosen = tmp_path / "shared" / "hubcheck-data"
    hubcheck.widget("dataDirInput").setText(str(chosen))
    with qtbot.waitSignal(window.settingsSaved, timeout=5_000), \
            qtbot.waitSignal(window.dataDirRemembered, timeout=5_000) as remembered:
        assert page.save()
    assert remembered.args == [str(chosen)]
    assert window.ctx.settings.get("backoffice_url") == "https://backoffice.invalid"
    assert chosen.is_dir()
    assert data_folder.remembered() == chosen
    assert "from the next start" in hubcheck.text("importSummaryLabel")


def test_collection_resumes_once_even_without_a_paint() -> None:
    """``hubcheck-gui`` pauses garbage collection for start-up; whichever comes first, the
    first paint or the fallback timer (a window started minimised may not paint), turns it
    back on, and the second call changes nothing."""
    import gc

    import app.__main__ as entry

    gc.disable()
    try:
        entry._resume_collection()
        assert gc.isenabled()
        frozen = gc.get_freeze_count()
        assert frozen > 0  # start-up's objects are set aside from later collections
        entry._resume_collection()
        assert gc.get_freeze_count() == frozen  # nothing frozen twice
    finally:
        gc.unfreeze()
        gc.enable()
