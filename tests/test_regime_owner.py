"""The regime is the supplier's: read-only once the back office set it (window and command
line), and a local change, where allowed, is journaled and re-checks the visit on screen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.services.audit import journal_entries
from app.services.context import AppContext
from app.services.regime import RegimeLocked, change_regime_locally, regime_state
from app.testing.samples import case_for

pytest_plugins = ["app.testing.plugin"]
REPO = Path(__file__).resolve().parents[1]


def _adopted(ctx: AppContext) -> None:
    """As a sync leaves it: the back office's regime, with its date and a back office set."""
    ctx.settings.set_many({"backoffice_url": "http://127.0.0.1:9", "regime": "mp202",
                           "regime_source": "backoffice", "regime_since": "2026-11-01T00:00:00+00:00"})


def test_a_local_change_is_journaled(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path / "data")
    state = change_regime_locally(ctx, "mp202", reason="testing")
    assert (state.regime, state.source, state.locked) == ("mp202", "local", False)
    (entry,) = [e for e in journal_entries(ctx) if e.action == "regime.changed_locally"]
    assert entry.subject == "mp202" and entry.detail["from"] == "tactical" and entry.detail["reason"] == "testing"


def test_the_back_offices_regime_cannot_be_changed_here(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path / "data")
    _adopted(ctx)
    assert regime_state(ctx).locked
    with pytest.raises(RegimeLocked, match="since 2026-11-01"):
        change_regime_locally(ctx, "tactical")
    assert ctx.settings.load().values["regime"] == "mp202"


def test_the_command_line_refuses_it_with_exit_2(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path / "data")
    _adopted(ctx)
    done = subprocess.run([sys.executable, "-m", "app.cli", "--data-dir", str(tmp_path / "data"),
                           "settings", "set", "regime", "tactical"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 2 and "back office" in done.stderr
    assert ctx.settings.load().values["regime"] == "mp202"


def test_the_settings_field_is_read_only_and_says_since_when(qtbot, hubcheck_sample_data_dir: Path) -> None:
    from app.testing.driver import HubCheckDriver
    from app.testing.window import open_window

    _adopted(AppContext(hubcheck_sample_data_dir))
    window = open_window(qtbot, hubcheck_sample_data_dir)
    driver = HubCheckDriver(window, qtbot)
    window.show_tab(2)  # Settings
    combo = driver.widget("regimeInput")
    assert not combo.isEnabled()
    assert "since 2026-11-01" in driver.text("regimeNoteLabel")


def test_a_local_change_in_the_window_rechecks_and_is_recorded_with_its_source(hubcheck) -> None:
    stop = case_for("tactical STOP (mismatch)")
    hubcheck.pick_job(stop.job_ref)
    hubcheck.scan_ppmid(stop.ppmid_label)
    hubcheck.scan_hub(stop.hub_label)
    hubcheck.wait_verdict("block")
    hubcheck.set_regime("mp202")
    hubcheck.wait_verdict()
    assert hubcheck.window.view.verdict.level != "block"
    assert any(e.action == "regime.changed_locally" for e in journal_entries(hubcheck.window.ctx))
    outcome = hubcheck.record()
    assert (outcome.regime, outcome.regime_source) == ("mp202", "local")


def test_the_s1sp_cohorts_are_set_on_the_settings_page(hubcheck) -> None:
    from PySide6.QtCore import Qt

    window = hubcheck.window
    window.show_tab(2)
    field = hubcheck.widget("s1spCohortsInput")
    field.setText("S1SP-B=FOC, S1SP-A=IOC")
    with hubcheck.qtbot.waitSignal(window.settingsSaved, timeout=10_000):
        hubcheck.qtbot.mouseClick(hubcheck.widget("saveSettingsButton"), Qt.MouseButton.LeftButton)
    saved = str(window.ctx.settings.load().values["s1sp_cohorts"])
    assert "S1SP-B=FOC" in saved and "S1SP-A=IOC" in saved
    field.setText("S1SP-B=NOPE")
    hubcheck.qtbot.mouseClick(hubcheck.widget("saveSettingsButton"), Qt.MouseButton.LeftButton)
    error = hubcheck.widget("settingsError_s1sp_cohorts")
    hubcheck.qtbot.waitUntil(lambda: error.isVisible(), timeout=10_000)
    assert "IOC, MOC-Secure or FOC" in error.text() or "IOC, MOC-Secure, FOC" in error.text()
