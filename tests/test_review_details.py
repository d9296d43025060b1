"""Reading many records' details at once (``ReviewSource.details``), on real parts: a back office
on SQLite and PostgreSQL holding varied records (three installers' visits through the intake
API with the DCC's answers, two laptops' visits synced with their journals, job packs for one
installer or all, a newer pack that no longer parses, a pack naming a job it does not hold, two
purged records), served for real on 127.0.0.1; and a laptop's own database.

Each source's ``details(ids)`` must be exactly ``[detail(i) for i in ids]``; the back office's
bulk route ``POST /v1/review/details`` answers what ``GET /v1/review/visits/{id}`` answers; the
remote source asks it once per 500 records (counted at the server) and falls back to one
request per record at a back office without it; an export's CSV is the same bytes either way.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from app.backoffice.cli import main as backoffice_main
from app.backoffice.db import Store
from app.backoffice.files import upload_jobpack
from app.backoffice.models import Installer, InstallRecord, JobPack
from app.backoffice.retention import PURGED_KEY
from app.backoffice.review_query import BackofficeDbReviewSource
from app.backoffice.web.app import create_app
from app.cli import main as laptop_main
from app.services.review.contract import ReviewDetail, ReviewError, ReviewFilter
from app.services.review.export import export_records
from app.services.review.local import LocalReviewSource
from app.services.review.remote import RemoteReviewSource
from tests.export_helpers import SAMPLE, Visit, laptop_with_visits
from tests.review_helpers import SeedVisit
from tests.test_backoffice_live import app_in_thread, serving_app
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient, bearer, sync_laptop_copy
from tests.test_review_api import _token, backoffice_seed, load

#: Made this old, a record falls before the purge's cutoff; every other record is newer.
LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)
PURGE_DAYS = str((datetime.now(UTC) - datetime(2010, 1, 1, tzinfo=UTC)).days)


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Visit]]:
    """A laptop's four recorded visits (recorded once per module, copied for each test)."""
    data = tmp_path_factory.mktemp("laptop") / "data"
    return data, laptop_with_visits(data)


def _pack(name: str, jobs: dict[str, str]) -> bytes:
    """A job pack naming each job with its MPxN (address and postcode follow from it)."""
    return json.dumps({
        "format": "hubcheck-jobpack/1",
        "jobs": [{"job_ref": ref, "mpxn": mpxn, "address": {"lines": [f"{mpxn[-3:]} {name} Road", "Testville"],
                                                              "postcode": f"ZZ{mpxn[-2:]} 9ZZ"}, "devices": []}
                 for ref, mpxn in jobs.items()],
    }).encode()


class Filled:
    """What the ``filled`` fixture made, for the tests to look into."""

    def __init__(self, store: Store, seed: list[SeedVisit], laptop: Path, visits: list[Visit],
                 purged: list[str]) -> None:
        self.store, self.seed, self.laptop, self.visits, self.purged = store, seed, laptop, visits, purged

    def ids(self) -> list[str]:
        """Every record's id, shuffled (never the database's order), one of them twice."""
        with self.store.read() as session:
            ids = [str(i) for i in session.scalars(select(InstallRecord.install_id))]
        random.Random(7).shuffle(ids)
        return [*ids, ids[3]]


@pytest.fixture
def filled(client: TestClient, store: Store, db_url: str, tmp_path: Path,
           laptop: tuple[Path, list[Visit]], capsys: pytest.CaptureFixture[str]) -> Iterator[Filled]:
    seed = backoffice_seed()
    load(client, store, seed)  # alice, bob and carol: intents, the DCC's answers, status changes
    now = datetime.now(UTC)
    with store.write() as session:
        who = {str(n): int(i) for i, n in session.execute(select(Installer.id, Installer.name))}
        upload_jobpack(session, "all-old.json", _pack("Old", {f"J-{n:04d}": f"19000000001{n:02d}" for n in range(7)}),
                       now.replace(year=now.year - 1))
        upload_jobpack(session, "alice.json", _pack("Alice", {"J-0001": "1900000000201", "J-0002": "1900000000202"}),
                       now, who["alice"])
        upload_jobpack(session, "bob.json", _pack("Bob", {"J-0000": "1900000000300"}), now, who["bob"])
        # Newer than the others, naming J-0003 and J-0004: one no longer parses, one does not hold J-0004.
        session.add(JobPack(name="damaged.json", installer_id=None, uploaded_at=now, sha256="0" * 64, size=9,
                            job_refs=["J-0003"], content=b"not json!"))
        lying = _pack("Lying", {"J-0006": "1900000000406"})
        session.add(JobPack(name="lying.json", installer_id=None, uploaded_at=now, sha256="1" * 64, size=len(lying),
                            job_refs=["J-0004", "J-0006"], content=lying))
    assert backoffice_main(["--db", db_url, "jobs", "upload", str(SAMPLE / "jobpack.json")]) == 0
    data, visits = laptop
    with app_in_thread(store) as url:  # alice's laptop: its records, Service Requests and journal
        synced = sync_laptop_copy(store, url, data, tmp_path / "laptop-alice", installer="alice")
    # Two settled records of jobs the packs name are purged (their job stays named by a pack).
    done = next(v for v in seed if v.plan == "done" and v.job_ref == "J-0000" and v.installer == "alice")
    aborted = next(v for v in seed if v.plan == "none" and v.job_ref == "J-0001")
    purged = [done.id, aborted.id]
    with store.write() as session:
        session.execute(update(InstallRecord).where(InstallRecord.install_id.in_(purged)).values(started_at=LONG_AGO))
    assert backoffice_main(["--db", db_url, "purge", "--older-than", PURGE_DAYS, "--by", "dpo"]) == 0
    capsys.readouterr()
    yield Filled(store, seed, synced, visits, purged)


def _varied(details: Sequence[ReviewDetail], purged: list[str]) -> None:
    """The records compared are the varied ones the fixture meant (else equality proves little)."""
    by_id = {d.row.record_id: d for d in details}
    assert {by_id[i].mpxn for i in purged} == {None}
    assert len({d.mpxn for d in details if d.mpxn}) >= 8  # from several packs, installer's own and all
    assert any(d.mpxn == "1900000000201" for d in details)  # alice's own pack, newer than all-old.json
    assert any(d.mpxn == "1900000000100" for d in details) and any(d.mpxn == "1900000000300" for d in details)
    assert any(d.mpxn == "1900000000103" for d in details)  # past the damaged newer pack
    assert any(d.mpxn == "1900000000104" for d in details)  # past the pack naming a job it does not hold
    assert any(d.audit_hash for d in details) and any(d.audit_hash is None for d in details)
    assert any(len(t.events) >= 3 for d in details for t in d.requests)
    assert any(d.row.outcome == "aborted" for d in details) and any(d.override_reason for d in details)


# ---------------------------------------------------------------------------- the back office's database


def test_the_databases_details_are_its_details_one_by_one(filled: Filled) -> None:
    source = BackofficeDbReviewSource(filled.store)
    ids = filled.ids()
    with filled.store.read() as session:
        metas = {str(i): m for i, m in session.execute(select(InstallRecord.install_id, InstallRecord.meta))}
    assert all(PURGED_KEY in (metas[i] or {}) for i in filled.purged)  # the purge really ran
    got = source.details(ids)
    assert got == [source.detail(i) for i in ids]
    assert [d.row.record_id for d in got] == ids
    _varied(got, filled.purged)
    assert source.details([]) == []
    with pytest.raises(ReviewError) as missing:
        source.details([ids[0], "no-such-record", ids[1]])
    with pytest.raises(ReviewError) as one:
        source.detail("no-such-record")
    assert str(missing.value) == str(one.value) == "no install record no-such-record at the back office"


def test_the_databases_details_take_a_few_queries_whatever_the_number_of_records(filled: Filled) -> None:
    """Reading 50 records costs the queries of reading 2 (records, intents, their status
    changes, journal hashes, the packs' job lists, each pack read once), not 50 times more."""
    source = BackofficeDbReviewSource(filled.store)
    ids = filled.ids()
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(filled.store.engine, "before_cursor_execute", count)
    try:
        source.details(ids[:2])
        few = len(seen)
        seen.clear()
        source.details(ids)
        many = len(seen)
    finally:
        event.remove(filled.store.engine, "before_cursor_execute", count)
    with filled.store.read() as session:
        packs = len(session.scalars(select(JobPack.id)).all())
    assert len(ids) > 40
    assert many <= 8 + packs, seen  # 5 queries, a has-table look-up and one read per pack at most
    assert many - few <= packs


# ---------------------------------------------------------------------------- the route


def _route_heads(filled: Filled) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    return (bearer(_token(filled.store, "dana", analyst=True)), bearer(_token(filled.store, "olive", admin=True)),
            bearer(_token(filled.store, "alice")))


def test_the_route_answers_each_record_as_its_own_route_does(filled: Filled, client: TestClient) -> None:
    analyst, admin, installer = _route_heads(filled)
    ids = filled.ids()
    for head in (analyst, admin):
        answer = client.post("/v1/review/details", json={"ids": ids}, headers=head)
        assert answer.status_code == 200, answer.text
        assert list(answer.json()) == ["details"]
        one_by_one = []
        for record_id in ids:
            single = client.get(f"/v1/review/visits/{record_id}", headers=head)
            assert single.status_code == 200
            one_by_one.append(single.json())
        assert answer.json()["details"] == one_by_one  # the same JSON, in the order asked
        assert [d["row"]["record_id"] for d in answer.json()["details"]] == ids

    assert client.post("/v1/review/details", json={"ids": ids[:3]}).status_code == 401
    refused = client.post("/v1/review/details", json={"ids": ids[:3]}, headers=installer)
    assert refused.status_code == 403 and refused.json() == client.get(
        f"/v1/review/visits/{ids[0]}", headers=installer).json()

    unknown = "f" * 64
    missing = client.post("/v1/review/details", json={"ids": [ids[0], unknown]}, headers=analyst)
    assert missing.status_code == 404 and missing.json() == {"detail": f"no install record {unknown} at the back office"}

    for body, words in (({"ids": []}, "at least 1"), ({"ids": [ids[0]] * 501}, "at most 500"),
                        ({"ids": ["x" * 65]}, "at most 64"), ({}, "required"), ({"ids": "abc"}, "list"),
                        ({"ids": [ids[0], "a\u0000b"]}, "NUL")):  # PostgreSQL's text cannot hold one
        refused = client.post("/v1/review/details", json=body, headers=analyst)
        assert refused.status_code == 422, body
        assert words in json.dumps(refused.json()), refused.text
        assert len(refused.text) < 2000  # never the whole input echoed back
    assert client.post("/v1/review/details", json={"ids": [ids[0]] * 500}, headers=analyst).status_code == 200


def test_the_route_is_in_the_schema_with_its_answers(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/review/details"]["post"]
    assert {"200", "401", "403", "404", "422", "503"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    ids = schema["components"]["schemas"][body]["properties"]["ids"]
    assert (ids["minItems"], ids["maxItems"], ids["items"]["maxLength"]) == (1, 500, 64)
    out = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][out]["properties"]["details"]["items"]["$ref"].endswith("/ReviewDetail")


# ---------------------------------------------------------------------------- the remote source


class Counting:
    """ASGI middleware noting each request's method and path as the server received it; with
    ``without`` set, it answers that route as a back office that lacks it (404 or 405, FastAPI's
    own bodies) and passes every other request to the real back office."""

    def __init__(self, app: Any, without: int | None = None) -> None:
        self.app, self.without = app, without
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append((scope["method"], scope["path"]))
            if self.without and scope["path"] == "/v1/review/details":
                words = b'{"detail":"Not Found"}' if self.without == 404 else b'{"detail":"Method Not Allowed"}'
                await send({"type": "http.response.start", "status": self.without,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(words)).encode())]})
                await send({"type": "http.response.body", "body": words})
                return
        await self.app(scope, receive, send)

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, path in self.seen if m == method and path.startswith(prefix))


def serving(app: Any) -> AbstractContextManager[str]:
    """uvicorn serving ``app`` in a thread on 127.0.0.1 (the back office behind a counting layer)."""
    return serving_app(app)


def test_the_remote_source_asks_once_per_500_records(filled: Filled) -> None:
    counting = Counting(create_app(filled.store))
    local = BackofficeDbReviewSource(filled.store)
    ids = filled.ids()
    with serving(counting) as url:
        remote = RemoteReviewSource(url, _token(filled.store, "dana", analyst=True))
        try:
            got = remote.details(ids)
            assert got == local.details(ids) == [local.detail(i) for i in ids]
            _varied(got, filled.purged)
            assert (counting.count("POST", "/v1/review/details"), counting.count("GET", "/v1/review/visits/")) == (1, 0)

            many = (ids * 25)[:1001]  # 1,001 ids: three requests of 500, 500 and 1
            assert remote.details(many) == [local.detail(i) for i in many]
            assert counting.count("POST", "/v1/review/details") == 1 + 3

            with pytest.raises(ReviewError, match="no such record: no install record no-such-record"):
                remote.details([ids[0], "no-such-record"])
            assert remote.details(ids[:2]) == local.details(ids[:2])  # an unknown id is not a missing route
            assert counting.count("POST", "/v1/review/details") == 1 + 3 + 2
            assert counting.count("GET", "/v1/review/visits/") == 0
            assert remote.details([]) == []
        finally:
            remote.close()


@pytest.mark.parametrize("status", [404, 405])
def test_an_older_back_office_without_the_route_is_read_record_by_record(filled: Filled, status: int) -> None:
    counting = Counting(create_app(filled.store), without=status)
    local = BackofficeDbReviewSource(filled.store)
    ids = filled.ids()
    with serving(counting) as url:
        remote = RemoteReviewSource(url, _token(filled.store, "dana", analyst=True))
        try:
            assert remote.details(ids) == [local.detail(i) for i in ids]
            assert counting.count("POST", "/v1/review/details") == 1
            assert counting.count("GET", "/v1/review/visits/") == len(ids)
            assert remote.details(ids[:5]) == [local.detail(i) for i in ids[:5]]
            assert counting.count("POST", "/v1/review/details") == 1  # noticed once, for the source's life
            assert counting.count("GET", "/v1/review/visits/") == len(ids) + 5
            with pytest.raises(ReviewError, match="no such record"):
                remote.details(["no-such-record"])
        finally:
            remote.close()


class PerRecord(RemoteReviewSource):
    """The remote source as it read before the bulk route: one request per record."""

    def details(self, record_ids: Sequence[str]) -> list[ReviewDetail]:
        return [self.detail(record_id) for record_id in record_ids]


def test_an_exports_csv_is_the_same_bytes_read_in_bulk_or_record_by_record(filled: Filled, tmp_path: Path) -> None:
    counting = Counting(create_app(filled.store))
    with serving(counting) as url:
        token = _token(filled.store, "dana", analyst=True)
        bulk, old = RemoteReviewSource(url, token), PerRecord(url, token)
        try:
            for redact in (False, True):
                flt = ReviewFilter()
                new_csv, old_csv = tmp_path / f"bulk-{redact}.csv", tmp_path / f"old-{redact}.csv"
                before = counting.count("GET", "/v1/review/visits/")
                assert export_records(bulk, flt, "csv", redact, new_csv).records == len(filled.ids()) - 1
                assert counting.count("GET", "/v1/review/visits/") == before  # pages only, no record by record
                assert export_records(old, flt, "csv", redact, old_csv).records == len(filled.ids()) - 1
                assert new_csv.read_bytes() == old_csv.read_bytes()
                text = new_csv.read_bytes().decode("utf-8-sig")
                assert ("1900000000201" in text) is not redact and text.count("\r\n") == len(filled.ids())
            db = BackofficeDbReviewSource(filled.store)
            assert export_records(db, ReviewFilter(), "csv", False, tmp_path / "db.csv").records == len(filled.ids()) - 1
            assert (tmp_path / "db.csv").read_bytes() == (tmp_path / "old-False.csv").read_bytes()
        finally:
            bulk.close()
            old.close()


# ---------------------------------------------------------------------------- the laptop


def test_a_laptops_details_are_its_details_one_by_one(filled: Filled, tmp_path: Path) -> None:
    data = filled.laptop  # synced: its visits are settled once their SRs are final
    assert laptop_main(["--data-dir", str(data), "purge", "--older-than", "30"]) == 0
    source = LocalReviewSource(data)
    try:
        ids = [v.record_id for v in reversed(filled.visits)]
        ids = [ids[2], *ids, ids[0]]
        got = source.details(ids)
        assert got == [source.detail(i) for i in ids]
        assert [d.row.record_id for d in got] == ids
        purged = [d for d in got if d.row.job_ref == "J-000103"]  # the aborted visit: settled, so purged
        kept = [d for d in got if d.row.job_ref == "J-000101"]
        assert purged and purged[0].mpxn is None and kept and kept[0].mpxn == filled.visits[0].mpxn
        assert all(d.audit_hash for d in got) and any(d.requests for d in got)
        assert source.details([]) == []
        with pytest.raises(ReviewError) as missing:
            source.details([ids[0], "no-such-visit"])
        with pytest.raises(ReviewError) as one:
            source.detail("no-such-visit")
        assert str(missing.value) == str(one.value)
    finally:
        source.close()

