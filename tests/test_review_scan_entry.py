"""The analyst sees how each label was entered: a device ID typed by hand may be mis-typed.

A visit recorded with its PPMID label typed and its hub label from the barcode scanner shows
"typed" and "scanner" through the laptop's review source, the back office's (after a real sync
to a back office on 127.0.0.1, SQLite and PostgreSQL) and its API, the remote source, the
review window's detail pane (the typed one marked) and the CSV's last two columns. A visit
recorded from the command line, which cannot know how its text came, shows none.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from app.backoffice.db import Store
from app.backoffice.review_query import BackofficeDbReviewSource
from app.services import installs
from app.services.context import AppContext
from app.services.installs import record_visit
from app.services.review.contract import SCAN_ENTRIES, ReviewDetail, ReviewFilter, scan_entry
from app.services.review.export import export_records
from app.services.review.export_csv import COLUMNS
from app.services.review.local import LocalReviewSource
from app.services.review.remote import RemoteReviewSource, _detail_of
from app.ui.review.records_model import RECORD_ROLE
from app.ui.review.sources import SourceChoice, SourceKind
from app.ui.review.window import ReviewWindow
from tests.test_backoffice_live import app_in_thread
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient, bearer, issue_token, make_install, sync_laptop_copy
from tests.test_review_api import _token
from tests.test_review_scans import GOOD, LABELS, MASKED_GOOD, _laptop, _request

#: The detail's keys before the entries were added: tools outside read them, none may change.
DETAIL_KEYS = {
    "row", "meter", "resulting_smets", "reasons", "override_reason", "abort_reason", "ppmid_scan", "hub_scan",
    "mpxn", "address", "postcode", "audit_hash", "requests",
}  # fmt: skip
PHRASES = ("scanned (barcode scanner)", "scanned (camera)", "read from a photo", "typed by hand")


@dataclass(frozen=True)
class Laptop:
    data: Path
    typed: str  # PPMID typed, hub from the scanner
    unknown: str  # recorded from the command line: no entry known


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> Laptop:
    data = tmp_path_factory.mktemp("scan-entry") / "data"
    ctx = _laptop(data)
    try:
        typed = record_visit(ctx, _request(GOOD, ppmid_entry="typed", hub_entry="scanner"))
        unknown = record_visit(ctx, _request(GOOD))
    finally:
        ctx.close()
    return Laptop(data, typed.install_id, unknown.install_id)


@pytest.fixture
def local(laptop: Laptop) -> Iterator[LocalReviewSource]:
    source = LocalReviewSource(laptop.data)
    yield source
    source.close()


def test_the_review_knows_the_same_entry_words_as_the_installers_services() -> None:
    assert SCAN_ENTRIES == installs.SCAN_ENTRIES
    assert [scan_entry(word) for word in SCAN_ENTRIES] == list(SCAN_ENTRIES)
    for odd in (None, "", "Typed", "telepathy", 7, ["typed"]):
        assert scan_entry(odd) is None, odd


# --------------------------------------------------------------------------- the laptop


def test_the_laptops_detail_says_how_each_label_was_entered(local: LocalReviewSource, laptop: Laptop) -> None:
    typed = local.detail(laptop.typed)
    assert (typed.ppmid_scan, typed.hub_scan) == (MASKED_GOOD, LABELS[GOOD]["hub_label"])
    assert (typed.ppmid_scan_entry, typed.hub_scan_entry) == ("typed", "scanner")
    unknown = local.detail(laptop.unknown)
    assert unknown.ppmid_scan == MASKED_GOOD  # the scan is kept, how it came is not known
    assert (unknown.ppmid_scan_entry, unknown.hub_scan_entry) == (None, None)


@pytest.mark.parametrize("redact", [False, True])
def test_the_csv_has_the_entry_columns_after_the_scans(
    local: LocalReviewSource, laptop: Laptop, tmp_path: Path, redact: bool
) -> None:
    out = tmp_path / "visits.csv"
    export_records(local, ReviewFilter(), "csv", redact, out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or ())
        rows = {row["record_id"]: row for row in reader}
    assert header == list(COLUMNS)
    assert header[27:31] == ["ppmid_scan", "hub_scan", "ppmid_scan_entry", "hub_scan_entry"]
    assert header.index("record_id") == 0 and header.index("redacted") == 26  # nothing moved
    assert (rows[laptop.typed]["ppmid_scan_entry"], rows[laptop.typed]["hub_scan_entry"]) == ("typed", "scanner")
    assert (rows[laptop.unknown]["ppmid_scan_entry"], rows[laptop.unknown]["hub_scan_entry"]) == ("", "")


# --------------------------------------------------------------------------- the window


@pytest.fixture
def window(qtbot: QtBot, laptop: Laptop, tmp_path: Path) -> Iterator[ReviewWindow]:
    ctx = AppContext(shutil.copytree(laptop.data, tmp_path / "data"))
    window = ReviewWindow(ctx, choice=SourceChoice(SourceKind.LAPTOP))
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitUntil(lambda: window.source is not None and not window.model.loading, timeout=10_000)
    yield window
    window.shutdown()
    ctx.close()


def _show(qtbot: QtBot, window: ReviewWindow, record_id: str) -> str:
    """Select the visit's row as the analyst does; the pane's text once its detail is shown."""
    rows = [window.model.index(r, 0).data(RECORD_ROLE).record_id for r in range(window.model.rowCount())]
    with qtbot.waitSignal(window.detail.detailShown, timeout=10_000) as shown:
        window.table.selectRow(rows.index(record_id))
    assert shown.args[0].row.record_id == record_id
    return window.detail.text.toPlainText()


def test_the_detail_pane_says_how_each_label_was_entered_and_marks_a_typed_one(
    qtbot: QtBot, window: ReviewWindow, laptop: Laptop
) -> None:
    text = _show(qtbot, window, laptop.typed)
    lines = [line.strip() for line in text.replace("\xa0", " ").splitlines()]
    ppmid_at = next(n for n, line in enumerate(lines) if line.startswith("PPMID label"))
    hub_at = next(n for n, line in enumerate(lines) if line.startswith("Hub label"))
    assert "typed by hand" in " ".join(lines[ppmid_at:hub_at])  # beside the PPMID's label …
    assert "scanned (barcode scanner)" in " ".join(lines[hub_at:])  # … and the hub's
    assert "typed by hand" not in " ".join(lines[hub_at:])
    found = window.detail.text.document().find("typed by hand")
    assert not found.isNull() and found.charFormat().fontWeight() >= QFont.Weight.Bold  # marked
    scanned = window.detail.text.document().find("scanned (barcode scanner)")
    assert not scanned.isNull() and scanned.charFormat().fontWeight() < QFont.Weight.Bold

    text = _show(qtbot, window, laptop.unknown)
    assert MASKED_GOOD in text and not [phrase for phrase in PHRASES if phrase in text]


# --------------------------------------------------------------------------- the back office


@pytest.fixture
def synced(laptop: Laptop, store: Store, tmp_path: Path) -> Iterator[str]:
    """The laptop's visits synced to a back office on 127.0.0.1; yields its address."""
    with app_in_thread(store) as url:
        sync_laptop_copy(store, url, laptop.data, tmp_path / "laptop")
        yield url


def _entries(detail: ReviewDetail) -> tuple[str | None, str | None]:
    return detail.ppmid_scan_entry, detail.hub_scan_entry


def test_the_back_office_api_and_both_its_sources_say_how_each_label_was_entered(
    synced: str, store: Store, client: TestClient, laptop: Laptop
) -> None:
    analyst = bearer(_token(store, "dana", analyst=True))
    typed = client.get(f"/v1/review/visits/{laptop.typed}", headers=analyst)
    assert typed.status_code == 200, typed.text
    body = typed.json()
    assert set(body) == DETAIL_KEYS | {"ppmid_scan_entry", "hub_scan_entry", "inventory_change"}
    assert body["inventory_change"] is None  # added later: the visit asked for no manual inventory change
    assert (body["ppmid_scan_entry"], body["hub_scan_entry"]) == ("typed", "scanner")
    assert body["ppmid_scan"] == MASKED_GOOD
    unknown = client.get(f"/v1/review/visits/{laptop.unknown}", headers=analyst).json()
    assert (unknown["ppmid_scan_entry"], unknown["hub_scan_entry"]) == (None, None)

    office = BackofficeDbReviewSource(store)
    assert _entries(office.detail(laptop.typed)) == ("typed", "scanner")
    assert _entries(office.detail(laptop.unknown)) == (None, None)
    remote = RemoteReviewSource(synced, _token(store, "erin", analyst=True))
    try:
        assert remote.detail(laptop.typed) == office.detail(laptop.typed)
        assert _entries(remote.detail(laptop.typed)) == ("typed", "scanner")
        assert _entries(remote.detail(laptop.unknown)) == (None, None)
    finally:
        remote.close()
    # An older back office answers without the keys: the window reads "not known".
    old: dict[str, Any] = {k: v for k, v in body.items() if not k.endswith("_scan_entry")}
    assert _entries(_detail_of(old)) == (None, None) and _detail_of(old).ppmid_scan == MASKED_GOOD


def test_an_entry_word_the_back_office_does_not_know_is_answered_as_not_known(
    store: Store, client: TestClient
) -> None:
    record = make_install(meta={"ppmid_scan": "0A-1B-2C-00-00-00-00-14", "ppmid_scan_entry": "telepathy",
                                "hub_scan_entry": 7})
    sent = client.post("/v1/installs", json=[record], headers=bearer(issue_token(store, "alice")))
    assert sent.status_code in (200, 201, 207) and sent.json()["errors"] == 0, sent.text
    answer = client.get(f"/v1/review/visits/{record['install_id']}", headers=bearer(_token(store, "dana", analyst=True)))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["ppmid_scan_entry"], answer.json()["hub_scan_entry"]) == (None, None)
    assert answer.json()["ppmid_scan"] == "0A-1B-2C-00-00-00-00-14"
