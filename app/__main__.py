"""``hubcheck-gui`` / ``python -m app``: start the installer's window.

Kept small on purpose: argument parsing and the QApplication, then the window paints
before anything heavy loads (PLATFORM §7). ``--smoke`` exits right after the first paint,
which is what the start-up benchmark measures.
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from pathlib import Path

GC_RESUME_AFTER_MS = 10_000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hubcheck-gui", description="HubCheck: PPMID and Communications Hub pairing")
    parser.add_argument("--data-dir", type=Path, default=None, help="data folder (default: HUBCHECK_HOME or the user data folder)")
    parser.add_argument("--sample", action="store_true", help="load the bundled sample CPL and job pack on start")
    parser.add_argument("--smoke", action="store_true", help="paint the main window once and exit 0 (start-up checks); "
                        "with --review, exit 0 once the first records are shown")
    parser.add_argument("--smoke-ready", action="store_true",
                        help="exit 0 once the cache is open and a scan would be accepted (time to ready)")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation (sample data, decoders, window, cameras) in a temporary "
                             "data folder (or --data-dir), print each step, exit 0 only if all worked")
    parser.add_argument("--review", action="store_true",
                        help="open the analyst's review window instead: the back office saved in Settings "
                             "(backoffice_url and backoffice_token), else this laptop's own records")
    parser.add_argument("--backoffice", metavar="URL", default=None,
                        help="review this back office (implies --review; the saved token and CA are used)")
    return parser


def main(argv: list[str] | None = None) -> int:
    # Start-up makes some 34,000 long-lived objects (modules, Qt types and their enums) and
    # almost no garbage: collecting while they are made was 2% of start-up for nothing.
    # Collection resumes after the first paint (see _after_first_paint).
    gc.disable()
    args = _parser().parse_args(argv)
    if args.self_test:
        gc.enable()  # a check, not a start-up race: collect as usual
        from app.ui.selftest import main as self_test

        return self_test(args.data_dir)
    # The Qt-free modules load before PySide6: once it is imported, every later module
    # import goes through shiboken's import hook (which reads the module's source).
    _preload_qt_free()
    # A bug in a slot or a worker is logged with its traceback and shown as one calm line;
    # a windowed build has no console, so Qt's default (print it) would lose it.
    from app.ui import unexpected

    hook = unexpected.InstallerExceptHook()
    unexpected.install(hook)
    from app.services.context import AppContext
    from app.ui import ensure_app

    data_dir = args.data_dir
    if data_dir is None:
        from app.ui import data_folder

        data_dir = data_folder.remembered()
    ctx = AppContext(data_dir)
    app = ensure_app([sys.argv[0]])
    if args.review or args.backoffice:
        gc.enable()  # the analyst's window: no start-up race to win, collect as usual
        from app.ui.review import run_review

        return run_review(ctx, hook, backoffice_url=args.backoffice, smoke=args.smoke)

    from PySide6.QtCore import QTimer

    from app.ui.main_window import MainWindow

    early = _EarlyRecords()
    logging.getLogger("app").addHandler(early)
    logging.getLogger("app").setLevel(logging.INFO)
    window = MainWindow(ctx)
    hook.set_notify(window.unexpectedError.emit)
    # The log file opens once the window is on screen (its handler and imports would add
    # about 4% to start-up); what is logged before then is kept and written to it first.
    window.firstPainted.connect(lambda: QTimer.singleShot(0, lambda: _after_first_paint(ctx.data_dir, early)))
    # A window started minimised may not paint for a long while: collection resumes anyway.
    QTimer.singleShot(GC_RESUME_AFTER_MS, _resume_collection)
    if args.smoke:
        def _painted() -> None:
            print("first-paint", flush=True)
            app.exit(0)

        window.firstPainted.connect(_painted)
    elif args.smoke_ready:
        def _ready(_state: object) -> None:
            # The wedge detector is installed right after the first paint, before the cache
            # opens on its worker: once the cache is open, a scanner burst would be accepted.
            print("ready", flush=True)
            app.exit(0)

        window.cacheOpened.connect(_ready)
    elif args.sample:
        window.load_sample_data()
    window.show()
    code = app.exec()
    hook.set_notify(None)
    window.shutdown(5_000)
    ctx.close()
    return int(code)


def _preload_qt_free() -> None:
    """Import what the window's modules need from the Qt-free side (and the standard
    library) ahead of PySide6; the same modules, only in an order that costs less."""
    import dataclasses  # noqa: F401

    import app.services.context  # noqa: F401
    import app.services.paths  # noqa: F401


class _EarlyRecords(logging.Handler):
    """Holds what HubCheck logs before the log file is open."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _after_first_paint(data_dir: Path, early: _EarlyRecords) -> None:
    _resume_collection()
    _configure_logging(data_dir, early)


def _resume_collection() -> None:
    """Turn garbage collection back on (once). What start-up made lives as long as the
    window: frozen, later collections skip it, which keeps their pauses short while the
    installer scans."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _configure_logging(data_dir: Path, early: _EarlyRecords) -> None:
    logger = logging.getLogger("app")
    logger.removeHandler(early)
    try:
        from app.services.logs import configure_logging

        configure_logging(data_dir / "logs")
    except OSError as exc:  # an unwritable log folder must not stop an installer working
        print(f"hubcheck: logging disabled: {exc}", file=sys.stderr)
    for record in early.records:
        logger.handle(record)


if __name__ == "__main__":
    raise SystemExit(main())
