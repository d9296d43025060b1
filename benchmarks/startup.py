"""Start-up and scan-to-verdict timings of the HubCheck window, against a bare PySide6 window.

1. Start-up: each run spawns a fresh process and times, from the parent, spawn → the child
   printing ``first-paint`` (printed from the first paint of the main window). "Time to
   ready" is spawn → ``ready`` (``--smoke-ready``: the cache is open and the scanner's
   burst would be accepted), reported against the bare window's first paint. The bare
   child is a QMainWindow with one QLabel doing the same; both are measured alternately in
   the same run, so the ratio is fair on a busy machine. Goal: median ratio ≤ 1.5×.
2. Scan → verdict: in one process, a window on a data folder with a 100,000-row CPL
   (the sample rows plus filler) and the sample job packs; for each of the sample label
   pairs the hub field receives a scanner burst ending in Enter, and the time from that
   Enter to the banner being painted with the new verdict is taken. Goal: p95 ≤ 30 ms.
   The pairing check alone is timed too (goal < 2 ms).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/startup.py [--runs N] [--scans N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "sample"

BARE_CHILD = r"""
import sys
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv[:1])
class W(QMainWindow):
    painted = False
    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.painted:
            self.painted = True
            print("first-paint", flush=True)
            app.exit(0)
w = W()
w.setCentralWidget(QLabel("HubCheck"))
w.resize(1280, 820)
w.show()
app.exec()
"""


def _time_child(args: list[str], env: dict[str, str], marker: str = "first-paint") -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=REPO, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == marker:
            elapsed = time.perf_counter() - start
            break
    else:
        proc.wait()
        raise RuntimeError(f"{args} exited with {proc.returncode} before painting")
    proc.wait(timeout=30)
    if proc.returncode != 0:
        raise RuntimeError(f"{args} exited with {proc.returncode}")
    return elapsed * 1000


def _working_data_folder(data: Path) -> None:
    """A data folder like an installer's on a working day: the sample CPL and job pack imported
    and a settings file saved (start-up reads the settings before the first paint)."""
    sys.path.insert(0, str(REPO))
    from app.services.context import AppContext
    from app.services.cpl_import import import_cpl
    from app.services.jobs_import import import_jobs_file

    ctx = AppContext(data)
    import_cpl(ctx, SAMPLE / "cpl.csv")
    import_jobs_file(ctx, SAMPLE / "jobpack.json")
    ctx.settings.set("regime", "mp202")
    ctx.settings.set("sound_enabled", "false")
    ctx.close()


def startup(runs: int) -> dict[str, list[float]]:
    """Three children, interleaved: the bare window; HubCheck on a data folder named with
    ``--data-dir``; and HubCheck finding its folder as an installer's laptop does (no option,
    no HUBCHECK_HOME: the remembered choice, then the user data folder), in a private home."""
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("HUBCHECK_HOME", None)
    # An installed app has its bytecode cached; a checkout run with PYTHONDONTWRITEBYTECODE
    # would recompile every HubCheck module on each start (PySide6's own files are cached).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    results: dict[str, list[float]] = {"bare": [], "hubcheck": [], "hubcheck (default folder)": [],
                                       "hubcheck: time to ready": []}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        _working_data_folder(data)
        home = Path(tmp) / "home"
        default_env = {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "share"),
                       "XDG_CONFIG_HOME": str(home / "config"), "XDG_STATE_HOME": str(home / "state")}
        _working_data_folder(home / "share" / "HubCheck")
        app_args = [sys.executable, "-m", "app", "--smoke", "--data-dir", str(data)]
        default_args = [sys.executable, "-m", "app", "--smoke"]
        ready_args = [sys.executable, "-m", "app", "--smoke-ready", "--data-dir", str(data)]
        bare_args = [sys.executable, "-c", BARE_CHILD]
        _time_child(bare_args, env)  # warm the page cache (and write bytecode) before measuring
        _time_child(app_args, env)
        _time_child(default_args, default_env)
        for _ in range(runs):
            results["bare"].append(_time_child(bare_args, env))
            results["hubcheck"].append(_time_child(app_args, env))
            results["hubcheck (default folder)"].append(_time_child(default_args, default_env))
            results["hubcheck: time to ready"].append(_time_child(ready_args, env, marker="ready"))
    return results


def build_cpl(path: Path, rows: int) -> None:
    """The sample CPL's rows (so every sample verdict still holds) plus filler up to ``rows``."""
    with (SAMPLE / "cpl.csv").open(newline="", encoding="utf-8") as handle:
        sample = list(csv.reader(handle))
    header, body = sample[0], sample[1:]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(body)
        for i in range(rows - len(body)):
            kind = ("PPMID", "CHF", "ESME", "GSME", "IHD")[i % 5]
            gen = "SMETS1" if i % 7 == 0 else "SMETS2+"
            writer.writerow([kind, f"Filler {i % 300}", f"{0x2000 + i % 3000:04X}", f"{i // 3:08X}", "0001",
                             f"{i:08X}", gen, "SMETS1" if gen == "SMETS1" else "SMETS V5.1", "4.1", "Active",
                             "0" * 64, "2026-10-01"])


def scan_to_verdict(scans: int, cpl_rows: int, inline: bool = True) -> dict[str, list[float]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO))
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest

    from app.domain.labels import parse_label
    from app.services.context import AppContext
    from app.services.cpl_import import import_cpl
    from app.services.jobs_import import import_jobs_file
    from app.services.pairing import check_labels
    from app.ui import launch

    pairs = [(p["ppmid_label"], p["hub_label"]) for p in json.loads((SAMPLE / "labels.json").read_text())]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        cpl = Path(tmp) / "cpl-100k.csv"
        build_cpl(cpl, cpl_rows)
        ctx = AppContext(data)
        report = import_cpl(ctx, cpl)
        import_jobs_file(ctx, SAMPLE / "jobpack.json")
        ctx.close()
        print(f"CPL cache: {report.imported:,} rows", file=sys.stderr)

        check_ms: list[float] = []
        ctx = AppContext(data)
        labels = [(parse_label(p), parse_label(h)) for p, h in pairs]
        for _ in range(3):
            for p, h in labels:
                check_labels(ctx, p, h)
        for i in range(scans):
            p, h = labels[i % len(labels)]
            t0 = time.perf_counter()
            check_labels(ctx, p, h)
            check_ms.append((time.perf_counter() - t0) * 1000)
        ctx.close()

        AppContext(data).settings.set("sound_enabled", "false")  # no audio device on CI
        window = launch(data)
        window.check_inline = inline
        window.show()
        loop = QEventLoop()
        window.cacheOpened.connect(loop.quit)
        QTimer.singleShot(20_000, loop.quit)
        loop.exec()
        hub_edit = window.view.hub.edit
        ppmid = window.view.ppmid
        panel = window.view.verdict
        state: dict[str, float] = {}

        def on_shown(_result: object) -> None:
            state["shown_gen"] = panel._generation  # noqa: SLF001 - the benchmark reads the panel's paint count

        def on_painted(generation: int) -> None:
            if "shown_gen" in state and generation >= state["shown_gen"] and "t0" in state:
                state["dt"] = (time.perf_counter() - state["t0"]) * 1000
                loop.quit()

        window.verdictShown.connect(on_shown)
        panel.painted.connect(on_painted)
        enter_ms: list[float] = []
        first_ms: list[float] = []
        give_up = QTimer()
        give_up.setSingleShot(True)
        give_up.timeout.connect(loop.quit)
        for i in range(scans + 5):
            p_text, h_text = pairs[i % len(pairs)]
            ppmid.submit_text(p_text)
            while window.runner.pending:  # the PPMID's own check (old hub) must not land mid-measure
                QTest.qWait(1)
            window.view.hub.clear()
            QTest.qWait(5)
            state.clear()
            hub_edit.setFocus()
            QTest.keyClicks(hub_edit, h_text)
            state["t0"] = time.perf_counter()
            QTest.keyClick(hub_edit, Qt.Key.Key_Return)
            if "dt" not in state:
                give_up.start(2_000)  # one timer, stopped after each wait: a stray one would cut a later wait short
                loop.exec()
                give_up.stop()
            if i == 0 and "dt" in state:
                first_ms.append(state["dt"])  # what an installer meets once per start
            if i >= 5 and "dt" in state:  # the first few warm caches up
                enter_ms.append(state["dt"])
        window.close()
    return {"check": check_ms, "enter_to_paint": enter_ms, "first scan after start": first_ms}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="start-up runs of each child")
    parser.add_argument("--scans", type=int, default=200, help="scan → verdict repetitions (0: start-up only)")
    parser.add_argument("--cpl-rows", type=int, default=100_000)
    args = parser.parse_args()

    times = startup(args.runs)
    bare = statistics.median(times["bare"])
    print("## Start-up: process spawn → first painted main window (ms)\n")
    print("| child | median | min | max | ratio to bare (medians) |\n|---|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.0f} | {min(values):.0f} | {max(values):.0f} | {median / bare:.2f}× |")
    app = statistics.median(times["hubcheck"])
    print(f"\nratio hubcheck / bare (medians): **{app / bare:.2f}×** (goal ≤ 1.5×)")
    ready = statistics.median(times["hubcheck: time to ready"])
    print(f"time to ready (cache open, a scan would be accepted) / bare first paint: **{ready / bare:.2f}×**\n")
    if args.scans <= 0:  # start-up only
        return 0

    scan = scan_to_verdict(args.scans, args.cpl_rows, inline=True)
    worker = scan_to_verdict(args.scans, args.cpl_rows, inline=False)
    scan["enter_to_paint (check on a worker)"] = worker["enter_to_paint"]
    scan["first scan after start (check on a worker)"] = worker["first scan after start"]
    print(f"## Scan → verdict on a {args.cpl_rows:,}-row CPL (ms)\n")
    print("| measure | n | p50 | p95 | max |\n|---|---|---|---|---|")
    for name, values in scan.items():
        print(f"| {name} | {len(values)} | {_pct(values, 50):.2f} | {_pct(values, 95):.2f} | {max(values):.2f} |")
    p95 = _pct(scan["enter_to_paint"], 95)
    print(f"\nEnter → verdict painted p95: **{p95:.1f} ms** (goal ≤ 30 ms); "
          f"check alone p95: {_pct(scan['check'], 95):.2f} ms (goal < 2 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
