"""Command-line tour on the bundled sample data: import it, then judge every sample job.

This is what `scripts/run-app.sh` shows on a machine without a display.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "sample"
DATA = REPO / ".hubcheck-data"


def hubcheck(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "app.cli", "--data-dir", str(DATA), *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=False)


def main() -> int:
    print(f"HubCheck sample data in {DATA}\n")
    for args in (("cpl", "import", str(SAMPLE / "cpl.csv")), ("jobs", "import", str(SAMPLE / "jobpack.json"))):
        result = hubcheck(*args)
        print(result.stdout.strip() or result.stderr.strip())
    labels = json.loads((SAMPLE / "labels.json").read_text(encoding="utf-8"))
    for regime in ("tactical", "mp202"):
        print(f"\n=== Regime: {regime} ===")
        for label in labels:
            print(f"\n--- {label['job_ref'] or '(no job)'}: {label['story']}")
            result = hubcheck("check", "--ppmid", label["ppmid_label"], "--hub", label["hub_label"], "--regime", regime)
            print(result.stdout.strip() or result.stderr.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
