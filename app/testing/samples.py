"""The bundled sample labels (resources/sample/labels.json): what to scan for each job."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from app.services.paths import SAMPLE_DIR


@dataclass(frozen=True, slots=True)
class SampleCase:
    job_ref: str | None
    story: str
    ppmid_label: str
    hub_label: str
    meter_label: str


def load_sample_cases(path: Path | None = None) -> list[SampleCase]:
    raw = json.loads((path or SAMPLE_DIR / "labels.json").read_text(encoding="utf-8"))
    return [
        SampleCase(c.get("job_ref"), c.get("story", ""), c["ppmid_label"], c["hub_label"], c.get("meter_label", ""))
        for c in raw
    ]


def case_for(story_word: str, cases: list[SampleCase] | None = None) -> SampleCase:
    """The first sample case whose story contains ``story_word`` (case-insensitive)."""
    for case in cases or load_sample_cases():
        if story_word.lower() in case.story.lower():
            return case
    raise LookupError(f"no sample case mentions {story_word!r}")
