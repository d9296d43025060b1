"""The window adopts the back office's regime on "Sync now", says where it came from, and re-judges."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from app.testing.samples import case_for
from app.ui.main_window import TAB_CHECK, TAB_SETTINGS
from tests.sync_helpers import backoffice_token, running_backoffice, set_backoffice_regime

pytest_plugins = ["app.testing.plugin"]


def _configure_backoffice(hubcheck, url: str, token: str) -> None:  # noqa: ANN001 - the tester kit's driver
    hubcheck.window.show_tab(TAB_SETTINGS)
    hubcheck.widget("backofficeUrlInput", QLineEdit).setText(url)
    hubcheck.widget("backofficeTokenInput", QLineEdit).setText(token)
    with hubcheck.qtbot.waitSignal(hubcheck.window.settingsSaved, timeout=hubcheck.timeout):
        hubcheck.qtbot.mouseClick(hubcheck.widget("saveSettingsButton", QPushButton), Qt.MouseButton.LeftButton)
    hubcheck.window.show_tab(TAB_CHECK)


def test_sync_adopts_the_back_office_regime_and_rejudges_the_pairing(hubcheck, tmp_path: Path) -> None:  # noqa: ANN001
    case = case_for("tactical STOP (mismatch)")
    with running_backoffice(tmp_path / "bo.db") as bo:
        set_backoffice_regime(bo.db_url, "mp202")
        _configure_backoffice(hubcheck, bo.url, backoffice_token(bo.db_url, "installer-1"))
        hubcheck.pick_job(case.job_ref)
        hubcheck.scan_ppmid(case.ppmid_label)
        hubcheck.scan_hub(case.hub_label)
        hubcheck.wait_verdict("block")
        assert hubcheck.regime_text == "Regime: Tactical"

        assert hubcheck.sync_now() == "ok"

        hubcheck.qtbot.waitUntil(lambda: hubcheck.regime_text == "Regime: MP202 (back office)",
                                 timeout=hubcheck.timeout)
        assert "back office" in hubcheck.widget("regimeIndicator").toolTip()
        hubcheck.wait_verdict("warn")  # MP202 on a tactical-era CPL: RESULTING_ENTRY_MISSING (A2)
        assert hubcheck.resulting_text == "SMETS1"
        assert hubcheck.window.ctx.settings.get("regime_source") == "backoffice"
