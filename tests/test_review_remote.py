"""The remote review source against a real back office on 127.0.0.1 (SQLite and PostgreSQL),
and against small servers that fail the ways a network and a server can."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.backoffice.review_query import BackofficeDbReviewSource
from app.services.review.contract import ReviewError, ReviewFilter, ReviewSort, SortColumn, SrProgress
from app.services.review.remote import RemoteReviewSource
from tests.review_helpers import walk
from tests.test_backoffice_live import app_in_thread, free_port
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient
from tests.test_review_api import _token, backoffice_seed, load


@pytest.fixture
def served(client: TestClient, store: Any) -> Iterator[tuple[str, Any, list[Any]]]:
    visits = backoffice_seed()
    load(client, store, visits)
    with app_in_thread(store) as url:
        yield url, store, visits


def test_remote_answers_exactly_what_the_database_answers(served: tuple[str, Any, list[Any]]) -> None:
    url, store, visits = served
    remote = RemoteReviewSource(url, _token(store, "dana", analyst=True))
    local = BackofficeDbReviewSource(store)
    try:
        assert remote.description == f"Back office {url}" and remote.can_approve is False
        for flt, sort in (
            (ReviewFilter(), ReviewSort()),
            (ReviewFilter(installer="bob", sr_state=SrProgress.FAILED), ReviewSort(SortColumn.JOB_REF, False)),
            (ReviewFilter(date_from=date(2025, 3, 30), reason_code="CPL_STATUS"), ReviewSort()),
            (ReviewFilter(overridden=True, text="aa"), ReviewSort(SortColumn.SR_STATE, True)),
        ):
            got = [r for p in walk(remote, flt, sort, 4) for r in p.rows]
            want = [r for p in walk(local, flt, sort, 4) for r in p.rows]
            assert got == want and (got or flt.overridden)
        failed = next(v for v in visits if v.plan == "failed")
        assert remote.detail(failed.id) == local.detail(failed.id)
        assert remote.installers() == local.installers() == ["alice", "bob", "carol"]
        assert remote.summary(ReviewFilter(installer="alice")) == local.summary(ReviewFilter(installer="alice"))
        assert remote.approvals() == local.approvals()
        assert remote.chains() == []  # no laptop has synced its journal here
        with pytest.raises(ReviewError, match="may not do that"):
            remote.decide(remote.approvals()[0].approval_id, True, "")
        with pytest.raises(ReviewError, match="no such record"):
            remote.detail("no-such-record")
    finally:
        remote.close()


def test_an_admin_decides_from_the_window_like_the_command_line(served: tuple[str, Any, list[Any]]) -> None:
    url, store, _visits = served
    admin = RemoteReviewSource(url, _token(store, "olive", admin=True))
    try:
        assert admin.can_approve is True
        first, second, *_rest = admin.approvals()
        admin.decide(first.approval_id, True, "looks right")
        with pytest.raises(ReviewError, match="say why"):
            admin.decide(second.approval_id, False, "  ")
        admin.decide(second.approval_id, False, "wrong model")
        left = {a.approval_id for a in admin.approvals()}
        assert first.approval_id not in left and second.approval_id not in left
        with pytest.raises(ReviewError, match="refused the request"):
            admin.decide(first.approval_id, True, "")  # already decided: 409
        with store.read() as session:
            from app.backoffice.ordering import audit_entries

            entries = {e.subject: e for e in audit_entries(session)}
        assert entries[first.approval_id].actor == "olive" and "admin token" in entries[first.approval_id].via
        assert entries[second.approval_id].detail["reason"] == "wrong model"
    finally:
        admin.close()


def test_refused_tokens_are_plain_sentences(served: tuple[str, Any, list[Any]]) -> None:
    url, store, _visits = served
    for token, words in (("not-a-token", "refused the token"), (_token(store, "alice"), "may not do that")):
        source = RemoteReviewSource(url, token)
        try:
            with pytest.raises(ReviewError, match=words):
                source.page(ReviewFilter(), ReviewSort())
            assert source.can_approve is False
        finally:
            source.close()


class _Canned(BaseHTTPRequestHandler):
    status = 200
    body = b"{}"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: Any) -> None:
        return None


@contextmanager
def canned(status: int, body: bytes) -> Iterator[str]:
    handler = type("Handler", (_Canned,), {"status": status, "body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (500, b'{"detail": "boom"}', "had a problem"),
        (503, b'{"detail": "busy"}', "had a problem"),
        (200, b"<html>not json</html>", "not the JSON expected"),
        (200, b'{"rows": [{"record_id": 1}], "next": null}', "expected fields"),
        (200, b'{"something": "else"}', "expected fields"),
    ],
)
def test_server_faults_and_malformed_answers_are_plain_sentences(status: int, body: bytes, words: str) -> None:
    with canned(status, body) as url:
        source = RemoteReviewSource(url, "t")
        try:
            with pytest.raises(ReviewError, match=words) as caught:
                source.page(ReviewFilter(), ReviewSort())
            assert "Traceback" not in str(caught.value)
        finally:
            source.close()


def test_offline_and_a_back_office_without_journal_chains() -> None:
    source = RemoteReviewSource(f"http://127.0.0.1:{free_port()}", "t")
    try:
        with pytest.raises(ReviewError, match="cannot be reached"):
            source.installers()
    finally:
        source.close()
    with canned(404, b'{"detail": "Not Found"}') as url:
        older = RemoteReviewSource(url, "t")
        try:
            assert older.chains() == []
        finally:
            older.close()
