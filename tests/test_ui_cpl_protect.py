"""A damaged CPL does not silently replace the one in use: the window asks, keeps the old
one unless told otherwise, and one menu step brings the previous CPL back."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

pytest_plugins = ["app.testing.plugin"]
SAMPLE_CPL = Path(__file__).resolve().parents[1] / "resources" / "sample" / "cpl.csv"


def _damaged_copy(tmp_path: Path) -> Path:
    """The sample's header and two good rows, then a torn row: what a cut download looks like."""
    lines = SAMPLE_CPL.read_text(encoding="utf-8").splitlines()
    header_at = next(i for i, line in enumerate(lines) if "Manufacturer" in line or "manufacturer" in line)
    damaged = tmp_path / "cpl-damaged.csv"
    damaged.write_text("\n".join([*lines[: header_at + 3], "PPMID,Broken,10E0"]) + "\n", encoding="utf-8")
    return damaged


def test_a_damaged_cpl_is_asked_about_and_kept_out_unless_confirmed(hubcheck, tmp_path: Path) -> None:
    assert hubcheck.text("cplStatusLabel").endswith("14 rows")
    damaged = _damaged_copy(tmp_path)
    assert hubcheck.import_file(damaged, confirm=False) is None
    assert hubcheck.text("cplStatusLabel").endswith("14 rows")  # nothing replaced
    assert "CPL in use is kept" in hubcheck.text("importSummaryLabel")

    summary = hubcheck.import_file(damaged, confirm=True)
    assert summary.imported == 2 and summary.rejected
    hubcheck.qtbot.waitUntil(lambda: hubcheck.text("cplStatusLabel").endswith("2 rows"), timeout=10_000)


def test_the_question_names_both_lists(hubcheck, tmp_path: Path) -> None:
    hubcheck.window.import_file(_damaged_copy(tmp_path))
    banner = hubcheck.window.view.import_banner
    hubcheck.qtbot.waitUntil(lambda: banner.confirm.isVisible(), timeout=10_000)
    question = hubcheck.text("importSummaryLabel")
    assert "14 rows" in question and "2 rows" in question and "rejected" in question
    assert "fewer rows" in question
    assert banner.keep.hasFocus() or banner.keep.isVisible()  # the safe answer is the default
    hubcheck.qtbot.mouseClick(banner.keep, Qt.MouseButton.LeftButton)


def test_the_previous_cpl_comes_back_from_the_file_menu(hubcheck, tmp_path: Path) -> None:
    hubcheck.import_file(_damaged_copy(tmp_path), confirm=True)
    hubcheck.qtbot.waitUntil(lambda: hubcheck.text("cplStatusLabel").endswith("2 rows"), timeout=10_000)
    with hubcheck.qtbot.waitSignal(hubcheck.window.importFinished, timeout=10_000):
        hubcheck.window.action_restore_cpl.trigger()
    hubcheck.qtbot.waitUntil(lambda: hubcheck.text("cplStatusLabel").endswith("14 rows"), timeout=10_000)
    assert "Previous CPL restored" in hubcheck.text("importSummaryLabel")
