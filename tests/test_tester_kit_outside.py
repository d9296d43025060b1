"""The tester kit as an outside project meets it: a built wheel, a fresh virtual environment,
a throw-away project folder, and the three worked examples copied verbatim from docs/testing.md.

The fresh environment gets HubCheck only from the wheel (``pip install --no-deps``); its
third-party packages (Qt, SQLAlchemy, pytest-qt …) come from this project's environment
through a ``.pth`` file, so the test needs no network. It checks that this checkout is not
what gets imported: ``app`` must be the copy inside the new environment.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = re.compile(r"<!-- example: (?P<name>test_\w+\.py) -->\s*```python\n(?P<code>.*?)```", re.S)

pytestmark = pytest.mark.slow


def examples() -> dict[str, str]:
    """The worked examples in docs/testing.md, file name → code, exactly as written there."""
    text = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    return {m["name"]: m["code"] for m in EXAMPLE.finditer(text)}


def _build_wheel(out: Path, scratch: Path) -> Path:
    """Build from a copy of the sources, so the build leaves nothing in the working tree."""
    source = scratch / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "app", source / "app", ignore=ignore)
    shutil.copytree(REPO / "resources", source / "resources", ignore=ignore)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    [wheel] = out.glob("hubcheck-*.whl")
    return wheel


def _fresh_venv(where: Path, wheel: Path) -> Path:
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # Third-party packages from this project's environment, after the new one's own site-packages.
    (Path(purelib) / "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    return python


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "HUBCHECK_"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_the_three_worked_examples_pass_in_a_throw_away_project(tmp_path: Path) -> None:
    found = examples()
    assert sorted(found) == ["test_dcc_fails_the_critical_join.py", "test_mp202_resulting_version.py",
                             "test_tactical_mismatch.py"]
    wheel = _build_wheel(tmp_path / "dist", tmp_path)
    python = _fresh_venv(tmp_path / "venv", wheel)
    project = tmp_path / "supplier-tests"
    (project / "tests").mkdir(parents=True)
    for name, code in found.items():
        (project / "tests" / name).write_text(code, encoding="utf-8")
    env = _clean_env()

    where = subprocess.run([str(python), "-c", "import app, sys; print(app.__file__)"], cwd=project, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(tmp_path / "venv"), f"HubCheck came from {where}, not the wheel"
    assert not Path(where).is_relative_to(REPO)

    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=project,
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert "3 passed" in run.stdout
