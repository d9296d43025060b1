"""Screenshots of HubCheck's main window on the sample data, one PNG per state.

Run under a virtual X display (the real xcb platform, real fonts):
    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python docs/screenshots/make_screenshots.py
or headless with QT_QPA_PLATFORM=offscreen. Each picture is ``QWidget.grab()`` of the main
window at 1280×820 (a typical installer laptop), written next to this script.

``--laptops`` takes the Check tab (a STOP that offers the 8.4 remedy) as it opens on the
screens installers have, each in its own virtual X display of that size (needs xvfb-run):
1366×768 and 1280×720 at 100% text, 1280×720 and 1920×1080 at 150%. Those pictures are the
whole screen, so what lies past the window's edge shows::

    .venv/bin/python docs/screenshots/make_screenshots.py --laptops
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))


LAPTOPS = (("1366x768", 100), ("1280x720", 100), ("1280x720", 150), ("1920x1080", 150))


def laptops() -> int:
    """Each screen in its own Xvfb (a display's size is fixed when it starts)."""
    for size, percent in LAPTOPS:
        command = ["xvfb-run", "-a", "-s", f"-screen 0 {size}x24", sys.executable, __file__, "--laptop", str(percent)]
        subprocess.run(command, check=True, env={**os.environ, "QT_QPA_PLATFORM": "xcb"})
    return 0


def laptop(percent: int) -> int:
    """The Check tab with a STOP verdict at ``percent``% text on this display's screen."""
    from app.ui import ensure_app

    app = ensure_app()
    app.setStyle("Fusion")
    from PySide6.QtGui import QGuiApplication

    from app.services.context import AppContext
    from app.testing.bot import ScriptBot
    from app.testing.driver import HubCheckDriver
    from app.testing.samples import case_for
    from app.ui import launch

    bot = ScriptBot()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        ctx = AppContext(data)
        ctx.settings.set_many({"sound_enabled": "false", "text_scale": str(percent)})
        ctx.close()
        window = launch(data)
        with bot.waitSignal(window.cacheOpened, 15_000):
            window.show()
        window.activateWindow()
        bot.waitUntil(lambda: window.runner.pending == 0, 10_000)
        drive = HubCheckDriver(window, bot)
        drive.load_sample()
        bot.waitUntil(lambda: "rows" in drive.text("cplStatusLabel") and "none" not in drive.text("cplStatusLabel"))
        window.view.import_banner.hide()
        case = case_for("tactical STOP (mismatch)")
        drive.pick_job(case.job_ref or "")
        drive.scan_ppmid(case.ppmid_label)
        drive.scan_hub(case.hub_label)
        drive.wait_verdict("block")
        bot.wait(400)
        screen = QGuiApplication.primaryScreen()
        size = screen.size()
        name = f"16-check-{size.width()}x{size.height()}-{percent}pct"
        screen.grabWindow(0).save(str(HERE / f"{name}.png"))
        inside = screen.availableGeometry().contains(window.frameGeometry())
        print(f"wrote {name}.png (window {window.frameGeometry().getRect()}, inside the screen: {inside})")
        window.shutdown()
        window.close()
        window.ctx.close()
    return 0


def main() -> int:
    if "--laptops" in sys.argv:
        return laptops()
    if "--laptop" in sys.argv:
        return laptop(int(sys.argv[sys.argv.index("--laptop") + 1]))
    from app.ui import ensure_app

    app = ensure_app()
    app.setStyle("Fusion")
    from app.testing.bot import ScriptBot
    from app.testing.driver import HubCheckDriver
    from app.testing.samples import case_for
    from app.ui import launch

    bot = ScriptBot()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"

        def open_on(folder: Path):  # noqa: ANN202
            window = launch(folder)
            window.ctx.settings.set("sound_enabled", "false")
            window._apply_settings(window.ctx.settings.load().values)  # noqa: SLF001 - muted before showing
            window.resize(1280, 820)
            with bot.waitSignal(window.cacheOpened, 15_000):
                window.show()
            window.activateWindow()
            bot.waitUntil(lambda: window.runner.pending == 0, 10_000)
            return window, HubCheckDriver(window, bot)

        def shot(window, name: str) -> None:  # noqa: ANN001
            bot.wait(250)
            window.grab().save(str(HERE / f"{name}.png"))
            print(f"wrote {name}.png")

        window, drive = open_on(data)
        shot(window, "01-first-run")
        drive.load_sample()
        bot.waitUntil(lambda: "rows" in drive.text("cplStatusLabel") and "none" not in drive.text("cplStatusLabel"))

        def check(story: str, level: str, name: str) -> None:
            case = case_for(story)
            window.new_visit()
            if case.job_ref:
                drive.pick_job(case.job_ref)
            drive.scan_ppmid(case.ppmid_label)
            drive.scan_hub(case.hub_label)
            drive.wait_verdict(level)
            shot(window, name)

        window.view.import_banner.hide()
        check("OK under both regimes", "ok", "02-verdict-ok")
        check("hub model missing", "warn", "03-verdict-warning")
        check("tactical STOP (mismatch)", "block", "04-verdict-stop")
        drive.set_override("Customer insists; back office agreed by phone")
        shot(window, "05-stop-with-override")
        check("UNKNOWN until", "unknown", "06-verdict-unknown")
        window.new_visit()
        drive.scan_ppmid("HELLO-THIS-IS-NOT-A-LABEL")
        shot(window, "07-bad-barcode")

        case = case_for("tactical STOP (mismatch)")
        window.new_visit()
        drive.pick_job(case.job_ref)
        drive.scan_ppmid(case.ppmid_label)
        drive.scan_hub(case.hub_label)
        drive.wait_verdict("block")
        drive.set_regime("mp202")
        drive.wait_verdict("warn")  # SMETS1 follows the hub; the tactical-era sample CPL lacks the row (A2)
        shot(window, "08-same-pair-under-mp202")
        drive.set_regime("tactical")

        case = case_for("OK under both regimes")
        window.new_visit()
        drive.pick_job(case.job_ref)
        drive.scan_ppmid(case.ppmid_label)
        drive.scan_hub(case.hub_label)
        drive.wait_verdict("ok")
        drive.record()
        shot(window, "09-recorded")
        drive.queue_rows()
        shot(window, "10-queue")

        window.show_tab(2)
        drive.widget("originatorInput").setText("90-B3-D5-1F-30-01")
        drive.widget("backofficeUrlInput").setText("backoffice.local")
        window.view.settings_page.save()
        shot(window, "11-settings-with-errors")
        window.view.settings_page.show_values(window.ctx.settings.load().values)
        shot(window, "12-settings")
        not_a_folder = Path(tmp) / "notes.txt"
        not_a_folder.write_text("not a folder\n", encoding="utf-8")
        drive.widget("dataDirInput").setText(str(not_a_folder))
        window.view.settings_page.save()  # tried on a worker; refused, so nothing is remembered
        bot.waitUntil(lambda: drive.widget("settingsError_data_dir").isVisible())
        shot(window, "15-settings-data-folder-refused")
        window.view.settings_page.show_values(window.ctx.settings.load().values)
        window.show_tab(0)

        bad = Path(tmp) / "cpl-with-bad-rows.csv"
        lines = (REPO / "resources" / "sample" / "cpl.csv").read_text(encoding="utf-8").splitlines()
        lines += ["PPMID,Broken,10E0,,0001,00020002,SMETS2+,SMETS V4.2,3.2,Active,,2026-10-01",
                  "TOASTER,Broken,10E0,00090100,0001,00020002,SMETS2+,SMETS V4.2,3.2,Active,,2026-10-01"]
        bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
        drive.import_file(bad)
        shot(window, "13-cpl-import-rejected-rows")
        window.view.import_banner.hide()

        from PySide6.QtGui import QImage

        from app.scan.camera import FakeFrameSource
        from tests.scan_helpers import png_bytes, symbol

        case = case_for("hub model missing")
        window.new_visit()
        drive.pick_job(case.job_ref)
        frame = QImage.fromData(png_bytes(symbol(case.ppmid_label, "qr", module_px=5, quiet=40)))
        source = FakeFrameSource([frame], fps=15)
        window.camera_source_factory = lambda: source
        window.open_camera(window.view.ppmid)
        bot.waitUntil(lambda: window.view.ppmid.label is not None, 10_000)
        shot(window, "14-camera-preview")
        window.close_camera()
        window.shutdown()
        window.close()
        window.ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
