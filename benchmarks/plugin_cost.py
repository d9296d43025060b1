"""What the tester kit's pytest plugin costs a project that never uses it: ``pytest --co`` time.

Two fresh virtual environments built in the same run from the same packages (this
project's, shared through a folder of links), one with HubCheck's wheel installed — so the
``pytest11`` entry point loads ``app.testing.plugin`` — and one without. A throw-away
project of plain tests is collected in each, alternately, several times; the table gives
the median wall time of each and their ratio.

    .venv/bin/python benchmarks/plugin_cost.py [--runs 7] [--tests 200]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _shared_deps(into: Path) -> Path:
    """Links to this environment's packages, HubCheck itself left out."""
    into.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name
        if name == "app" or name.startswith(("hubcheck", "__editable__", "_hubcheck")) or name.endswith(".pth"):
            continue
        (into / name).symlink_to(entry)
    return into


def _wheel(scratch: Path) -> Path:
    source = scratch / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "app", source / "app", ignore=ignore)
    shutil.copytree(REPO / "resources", source / "resources", ignore=ignore)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(scratch / "dist"), str(source)],
                   check=True)
    return next((scratch / "dist").glob("hubcheck-*.whl"))


def _venv(where: Path, deps: Path, wheel: Path | None) -> Path:
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "shared_deps.pth").write_text(f"{deps}\n")
    if wheel is not None:
        subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                       check=True)
    return python


def _project(where: Path, tests: int) -> Path:
    (where / "tests").mkdir(parents=True)
    for module in range(max(1, tests // 20)):
        body = "\n".join(f"def test_{module}_{n}():\n    assert {n} + 1 > {n}\n" for n in range(20))
        (where / "tests" / f"test_plain_{module}.py").write_text(body)
    return where


def _collect(python: Path, project: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    run = subprocess.run([str(python), "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", "tests"],
                         cwd=project, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if run.returncode != 0:
        raise RuntimeError(run.stdout[-2000:] + run.stderr[-2000:])
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tests", type=int, default=200)
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "HUBCHECK_"))}
    with tempfile.TemporaryDirectory(prefix="plugin-cost-") as folder:
        scratch = Path(folder)
        deps = _shared_deps(scratch / "deps")
        without = _venv(scratch / "without", deps, None)
        with_kit = _venv(scratch / "with", deps, _wheel(scratch))
        project = _project(scratch / "project", args.tests)
        check = subprocess.run([str(with_kit), "-m", "pytest", "--co", "-q", "--trace-config", "tests"], cwd=project,
                               env=env, capture_output=True, text=True)
        assert "app.testing.plugin" in check.stdout, "the plugin did not load in the 'with' environment"
        times: dict[str, list[float]] = {"without the plugin": [], "with the plugin": []}
        for python in (without, with_kit):  # one warm-up each: .pyc files written, disk cache filled
            _collect(python, project, env)
        for _ in range(args.runs):
            times["without the plugin"].append(_collect(without, project, env))
            times["with the plugin"].append(_collect(with_kit, project, env))
    base = statistics.median(times["without the plugin"])
    print(f"pytest --co, {args.tests} plain tests, median of {args.runs} alternating runs")
    print(f"{'environment':<22}{'median s':>10}{'min s':>10}{'max s':>10}")
    for name, values in times.items():
        print(f"{name:<22}{statistics.median(values):>10.3f}{min(values):>10.3f}{max(values):>10.3f}")
    ratio = statistics.median(times["with the plugin"]) / base
    print(f"ratio with/without: {ratio:.3f} ({(ratio - 1) * 100:+.1f} %) on the medians, "
          f"{min(times['with the plugin']) / min(times['without the plugin']):.3f} on the fastest runs "
          "(the fastest runs are the least disturbed on a shared machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
