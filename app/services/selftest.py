"""The self-test: does this installed HubCheck have every part it needs, on this machine?

An installer's laptop has no Python and no network, so a build that forgot a Qt plugin,
the zbar library or the sample data would only show it in front of a customer. The
self-test runs the chain a visit runs — a data folder, the sample CPL and job pack, a
decoded label, a pairing check, the window, the camera list — in a throw-away data folder
and says, one line per step, what worked. It exits 0 only when every step did.

This module holds the runner and the steps that need only the services (data folder,
imports, the check); the faces (``app/ui/selftest.py``) add the steps that need the
decoders and Qt. Each step is a plain function of the shared ``SelfTestState`` that
returns one line of detail or raises: the runner turns an exception into a failed step,
so one broken part never hides the others.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from app.services.context import AppContext

EXIT_PASSED = 0
EXIT_FAILED = 1

# The first sample label pair: the sample data says it is OK under both regimes.
EXPECTED_LEVEL = "ok"


class StepFailed(RuntimeError):
    """A step found the part it checks missing or wrong; the message says what, in one line."""


@dataclass
class SelfTestState:
    """What the steps share: the data folder and, once it opened, the context on it."""

    data_dir: Path
    ctx: AppContext | None = None
    sample_labels: list[dict[str, str]] = field(default_factory=list)

    def context(self) -> AppContext:
        """The open context, or a failure naming the step it depends on."""
        if self.ctx is None:
            raise StepFailed("not run: the data folder did not open")
        return self.ctx


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[SelfTestState], str]


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"[{'ok' if self.ok else 'FAILED'}] {self.name}: {self.detail}"


def run_steps(steps: Sequence[Step], state: SelfTestState, out: TextIO) -> list[StepResult]:
    """Run every step in order, print one line each as it finishes, and return the results."""
    results: list[StepResult] = []
    for step in steps:
        try:
            result = StepResult(step.name, True, step.run(state))
        except Exception as exc:  # any fault is this step's failure, reported in one line
            message = str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
            result = StepResult(step.name, False, message.splitlines()[0] if message else type(exc).__name__)
        results.append(result)
        print(result.line(), file=out, flush=True)
    return results


def summary(results: Sequence[StepResult]) -> tuple[int, str]:
    """The exit code and the closing line: 0 only when every step passed (and there was one)."""
    failed = [r.name for r in results if not r.ok]
    if results and not failed:
        return EXIT_PASSED, f"self-test passed: {len(results)} of {len(results)} steps"
    return EXIT_FAILED, f"self-test FAILED: {len(failed)} of {len(results)} steps ({', '.join(failed) or 'none ran'})"


@contextmanager
def data_folder(explicit: Path | None = None) -> Iterator[Path]:
    """The folder the self-test writes to: ``explicit`` as given (kept), else a temporary one
    removed afterwards, so the installer's own data is never touched."""
    if explicit is not None:
        yield explicit
        return
    with tempfile.TemporaryDirectory(prefix="hubcheck-selftest-") as tmp:
        yield Path(tmp)


# ---------------------------------------------------------------- the service steps
def open_data_folder(state: SelfTestState) -> str:
    """Create the folder, write to it, and open (create and migrate) the database in it."""
    from app.services.context import AppContext

    state.data_dir.mkdir(parents=True, exist_ok=True)
    probe = state.data_dir / ".selftest-write"
    probe.write_text("ok\n", encoding="utf-8")
    probe.unlink()
    ctx = AppContext(state.data_dir)
    ctx.engine  # noqa: B018 - opening the engine creates and migrates the database
    state.ctx = ctx
    return f"{state.data_dir} (database {ctx.db_path.name} created)"


def import_sample_cpl(state: SelfTestState) -> str:
    from app.services.cpl_import import import_cpl
    from app.services.paths import SAMPLE_DIR

    report = import_cpl(state.context(), SAMPLE_DIR / "cpl.csv")
    if report.imported == 0 or report.rejected:
        raise StepFailed(f"sample CPL: {report.imported} rows imported, {len(report.rejected)} rejected")
    return f"{report.imported} rows from {SAMPLE_DIR / 'cpl.csv'}"


def import_sample_jobs(state: SelfTestState) -> str:
    from app.services.jobs_import import import_jobs_file
    from app.services.paths import SAMPLE_DIR

    report = import_jobs_file(state.context(), SAMPLE_DIR / "jobpack.json")
    if report.jobs == 0 or report.problems:
        raise StepFailed(f"sample job pack: {report.jobs} jobs, {len(report.problems)} problems")
    state.sample_labels = _sample_labels(SAMPLE_DIR / "labels.json")
    return f"{report.jobs} jobs, {report.devices} devices"


def run_check(state: SelfTestState) -> str:
    """The first sample pair, checked as ``hubcheck check`` would: the sample data says OK."""
    from app.services.pairing import check_texts

    if not state.sample_labels:
        raise StepFailed("not run: the sample job pack did not import")
    case = state.sample_labels[0]
    result = check_texts(state.context(), case["ppmid_label"], case["hub_label"])
    level = result.verdict.level.value
    if level != EXPECTED_LEVEL:
        raise StepFailed(f"{case['job_ref']}: verdict {level!r}, expected {EXPECTED_LEVEL!r}")
    return f"{case['job_ref']}: {level} ({result.to_json()['resulting_smets'] or 'no SMETS'})"


def _sample_labels(path: Path) -> list[dict[str, str]]:
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    return [dict(case) for case in data]


SERVICE_STEPS: tuple[Step, ...] = (
    Step("data folder", open_data_folder),
    Step("sample CPL", import_sample_cpl),
    Step("sample job pack", import_sample_jobs),
    Step("pairing check", run_check),
)


def close(state: SelfTestState) -> None:
    """Release the database so a temporary folder can be removed (Windows locks open files)."""
    if state.ctx is not None:
        state.ctx.close()
        state.ctx = None
