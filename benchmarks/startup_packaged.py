"""Start-up to first paint of the built program against the source install, same run.

Both children are timed from the parent, spawn → ``first-paint`` (``hubcheck-gui --smoke``
on the same working data folder), alternately, so a busy machine slows both alike.
Goal: the built program's median ≤ 1.2× the source's. ``--cold`` also times one start of
each after dropping the page cache (``sync; echo 3 > /proc/sys/vm/drop_caches``, root
only), which is what an installer's first start of the morning costs.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/startup_packaged.py \
         --program dist/hubcheck/hubcheck-gui [--runs N] [--cold N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from startup import REPO, _time_child, _working_data_folder  # noqa: E402


def drop_page_cache() -> bool:
    """Empty the kernel's page cache; False where this machine does not allow it."""
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def measure(program: Path, runs: int, cold: int) -> dict[str, object]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("HUBCHECK_HOME", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        _working_data_folder(data)
        children = {
            "source": [sys.executable, "-m", "app", "--smoke", "--data-dir", str(data)],
            "built": [str(program), "--smoke", "--data-dir", str(data)],
        }
        for args in children.values():  # warm the page cache and the bytecode first
            _time_child(args, env)
        warm: dict[str, list[float]] = {name: [] for name in children}
        for _ in range(runs):
            for name, args in children.items():
                warm[name].append(_time_child(args, env))
        result: dict[str, object] = {
            "runs": runs,
            "warm_median_ms": {name: round(statistics.median(v), 1) for name, v in warm.items()},
            "warm_ms": {name: [round(x, 1) for x in v] for name, v in warm.items()},
        }
        medians = result["warm_median_ms"]
        assert isinstance(medians, dict)
        result["built_over_source"] = round(medians["built"] / medians["source"], 3)
        if cold:
            if not drop_page_cache():
                result["cold"] = "not measured: this machine does not allow dropping the page cache"
            else:
                cold_runs: dict[str, list[float]] = {name: [] for name in children}
                for _ in range(cold):
                    for name, args in children.items():
                        drop_page_cache()
                        cold_runs[name].append(_time_child(args, env))
                result["cold_median_ms"] = {name: round(statistics.median(v), 1) for name, v in cold_runs.items()}
                result["cold_ms"] = {name: [round(x, 1) for x in v] for name, v in cold_runs.items()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", type=Path, default=REPO / "dist" / "hubcheck" / "hubcheck-gui",
                        help="the built hubcheck-gui (default: dist/hubcheck/hubcheck-gui)")
    parser.add_argument("--runs", type=int, default=15, help="warm starts of each (default 15)")
    parser.add_argument("--cold", type=int, default=3, help="cold starts of each, page cache dropped (0: none)")
    args = parser.parse_args()
    # absolute(), not resolve(): hubcheck-gui is a link to hubcheck, and the name picks the program
    if not args.program.exists():
        raise SystemExit(f"{args.program} not found: build it with packaging/build-linux.sh")
    print(json.dumps(measure(args.program.absolute(), args.runs, args.cold), indent=2))


if __name__ == "__main__":
    main()
