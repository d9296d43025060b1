"""Running the back office as a supplier would (docs/DEPLOY.md), against real servers on 127.0.0.1.

TLS with a CA made here (the laptop syncs with ``backoffice_ca`` set and refuses without
it); several workers on a fresh empty database (SQLite and PostgreSQL) with no worker
crashing; Alembic migrations (``db upgrade`` keeps a version-2 database's data, ``serve``
refuses an unmigrated or hand-changed schema with one line); one request log line with
the request id, the installer's name and never the token; a database fault is a 500 that
names the request id.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import text

from app.backoffice.db import _alembic_config, open_store
from app.backoffice.tokens import token_digest
from app.cli import main as laptop_main
from app.domain.duis import ReadFirmwareVersion
from app.domain.ids import DeviceId, canonical_from_hex16
from app.services.context import AppContext
from app.services.queue import enqueue_intents, queue_counts
from app.store.settings import SettingError
from app.sync.engine import sync_once
from tests.availability import unavailable
from tests.sync_helpers import backoffice_token, free_port
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import make_intent

# Slow: real servers started with several workers, TLS and migrations (~80 s). CI and `pytest --slow` run them.
pytestmark = pytest.mark.slow


REPO = Path(__file__).resolve().parents[1]


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("hubcheck-backoffice")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.backoffice.cli"]


@dataclass
class Served:
    base: str
    proc: subprocess.Popen[bytes]
    stderr: Path

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")


@contextmanager
def serving(
    tmp_path: Path, db_url: str, *extra: str, argv: list[str] | None = None, verify: object = True
) -> Iterator[Served]:
    """``hubcheck-backoffice serve`` (or ``argv``) on a free port; waits for /v1/health; stops it."""
    port = free_port()
    scheme = "https" if "--tls-cert" in extra else "http"
    stderr = tmp_path / f"serve-{port}.err"
    env = {**os.environ, "HUBCHECK_BACKOFFICE_DB": db_url}
    command_line = argv or [*_cli(), "serve", "--port", str(port), *extra]
    command_line = [a.replace("{port}", str(port)) for a in command_line]
    with stderr.open("wb") as err:
        proc = subprocess.Popen(command_line, env=env, cwd=REPO, stdout=err, stderr=subprocess.STDOUT)
    served = Served(f"{scheme}://127.0.0.1:{port}", proc, stderr)
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                if httpx.get(f"{served.base}/v1/health", timeout=2, verify=verify).status_code == 200:  # type: ignore[arg-type]
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, served.log()
            assert time.monotonic() < deadline, "the service did not come up:\n" + served.log()
            time.sleep(0.1)
        yield served
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _run_cli(db_url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUBCHECK_BACKOFFICE_DB": db_url}
    return subprocess.run([*_cli(), *argv], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)


# --------------------------------------------------------------------------- TLS


@dataclass
class Pki:
    ca: Path
    cert: Path
    key: Path
    other_ca: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throw-away CA, a server certificate it signed for 127.0.0.1, and an unrelated CA."""
    if shutil.which("openssl") is None:
        unavailable("the openssl command is not installed", "apt-get install openssl")
    d = tmp_path_factory.mktemp("pki")

    def openssl(*argv: str) -> None:
        subprocess.run(["openssl", *argv], cwd=d, check=True, capture_output=True, timeout=60)

    for name in ("ca", "other"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem",
            "-days", "2", "-subj", f"/CN=HubCheck test {name} CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
    )
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")  # fmt: skip
    return Pki(d / "ca.pem", d / "server.pem", d / "server.key", d / "other.pem")


def _laptop(tmp_path: Path, url: str, token: str) -> AppContext:
    ctx = AppContext(tmp_path / "laptop")
    ctx.settings.set_many({"backoffice_url": url, "backoffice_token": token})
    ids = [DeviceId(canonical_from_hex16(f"{i:016X}")) for i in range(1, 6)]
    enqueue_intents(ctx, [ReadFirmwareVersion(target_id=i) for i in ids], validate=False)
    return ctx


def test_laptop_syncs_over_tls_with_backoffice_ca_and_refuses_without(tmp_path: Path, pki: Pki) -> None:
    db_url = f"sqlite:///{tmp_path / 'bo.db'}"
    with serving(tmp_path, db_url, "--tls-cert", str(pki.cert), "--tls-key", str(pki.key), verify=ssl.create_default_context(cafile=str(pki.ca))) as bo:
        assert bo.base.startswith("https://")
        ctx = _laptop(tmp_path, bo.base, backoffice_token(db_url, "alice"))
        # The system trust store does not know the supplier's CA: nothing is sent.
        refused = sync_once(ctx)
        assert refused.status == "offline" and refused.created == 0
        assert "CERTIFICATE_VERIFY_FAILED" in " ".join([refused.message, *refused.errors])
        # Another CA is no better.
        ctx.settings.set("backoffice_ca", str(pki.other_ca))
        assert sync_once(ctx, ignore_backoff=True).created == 0
        # The CA that signed the server's certificate: the queue goes through.
        ctx.settings.set("backoffice_ca", str(pki.ca))
        report = sync_once(ctx, ignore_backoff=True)  # "Sync now": the failed attempts' back-off is over
        assert report.status == "ok" and report.created == 5, report.errors
        assert queue_counts(ctx)["accepted"] == 5
        # Plain HTTP to the TLS port is not answered as a back office.
        with pytest.raises(httpx.TransportError):
            httpx.get(bo.base.replace("https://", "http://") + "/v1/health", timeout=5).raise_for_status()


def test_serve_refuses_half_a_tls_pair_or_a_non_pem_file(tmp_path: Path, pki: Pki) -> None:
    db_url = f"sqlite:///{tmp_path / 'bo.db'}"
    half = _run_cli(db_url, "serve", "--tls-cert", str(pki.cert))
    assert half.returncode == 2 and "--tls-cert and --tls-key go together" in half.stderr
    (tmp_path / "junk.pem").write_text("not a certificate")
    junk = _run_cli(db_url, "serve", "--tls-cert", str(tmp_path / "junk.pem"), "--tls-key", str(pki.key))
    assert junk.returncode == 2 and "not a PEM file" in junk.stderr
    assert "Traceback" not in half.stderr + junk.stderr


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://backoffice.supplier.example", False),
        ("http://10.0.0.5:8080", False),
        ("https://backoffice.supplier.example", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
    ],
)
def test_plain_http_is_refused_except_on_loopback(tmp_path: Path, url: str, allowed: bool) -> None:
    ctx = AppContext(tmp_path / "laptop")
    if allowed:
        ctx.settings.set("backoffice_url", url)
        return
    with pytest.raises(SettingError, match="plain http://"):
        ctx.settings.set("backoffice_url", url)
    assert laptop_main(["--data-dir", str(ctx.data_dir), "settings", "set", "backoffice_url", url]) == 2
    # A hand-edited settings file does not get round it: hubcheck sync exits 2 with the reason.
    path = ctx.data_dir / "settings.json"
    path.write_text(json.dumps({"version": 1, "values": {"backoffice_url": url, "backoffice_token": "t-1"}}))
    fresh = AppContext(ctx.data_dir)
    report = sync_once(fresh)
    assert report.status == "not_configured" and "plain http://" in report.message
    assert laptop_main(["--data-dir", str(ctx.data_dir), "sync", "--once"]) == 2


def test_backoffice_ca_must_be_a_readable_pem_file(tmp_path: Path) -> None:
    ctx = AppContext(tmp_path / "laptop")
    with pytest.raises(SettingError, match="cannot be read"):
        ctx.settings.set("backoffice_ca", str(tmp_path / "missing.pem"))
    (tmp_path / "x.pem").write_text("hello")
    with pytest.raises(SettingError, match="not a PEM certificate"):
        ctx.settings.set("backoffice_ca", str(tmp_path / "x.pem"))


# --------------------------------------------------------------------------- several workers


@pytest.mark.parametrize("launcher", ["serve", "uvicorn"])
def test_four_workers_on_a_fresh_empty_database(tmp_path: Path, db_url: str, launcher: str) -> None:
    """serve --workers 4 creates the schema once; plain uvicorn on the ASGI app makes its four
    workers race for it, and the migration lock lets exactly one create it."""
    argv = None
    if launcher == "uvicorn":
        argv = [sys.executable, "-m", "uvicorn", "app.backoffice.asgi:app", "--workers", "4",
                "--host", "127.0.0.1", "--port", "{port}", "--timeout-worker-healthcheck", "60"]  # fmt: skip
    with serving(tmp_path, db_url, "--workers", "4", argv=argv) as bo:
        token = backoffice_token(db_url, "alice")
        statuses: list[int] = []
        with httpx.Client(base_url=bo.base, timeout=10, headers={"Authorization": f"Bearer {token}"}) as http:
            for _ in range(120):
                statuses.append(http.get("/v1/whoami", headers={"Connection": "close"}).status_code)
            created = http.post("/v1/intents", json=[make_intent() for _ in range(20)]).json()["created"]
        deadline = time.monotonic() + 20
        while bo.log().count("Application startup complete") < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        log = bo.log()
    assert statuses == [200] * 120 and created == 20
    assert log.count("Application startup complete") == 4, log
    for bad in ("Traceback", "ERROR", "Child process", "died"):
        assert bad not in log, log


# --------------------------------------------------------------------------- migrations


def _make_version_2_database(db_url: str) -> str:
    """A database as the back office made it before Alembic: schema version 2, no revision
    table, an admin installer with a token, a setting, and a regime; returns the token."""
    store = open_store(db_url)
    with store.engine.begin() as conn:
        cfg = _alembic_config(conn)
        command.downgrade(cfg, "0001_baseline")
        conn.execute(text("DROP TABLE bo_alembic_version"))
        conn.execute(text("INSERT INTO bo_installers (id, name, is_admin, created_at) VALUES (1, 'carol', :t, :now)"),
                     {"t": True, "now": "2026-01-01 09:00:00"})  # fmt: skip
        conn.execute(
            text("INSERT INTO bo_tokens (installer_id, token_hash, created_at) VALUES (1, :h, :now)"),
            {"h": token_digest("carols-old-token"), "now": "2026-01-01 09:00:00"},
        )
        conn.execute(text("INSERT INTO bo_settings (key, value) VALUES ('originator', '90-B3-D5-1F-30-01-00-00')"))
    store.dispose()
    return "carols-old-token"


def test_db_upgrade_keeps_a_version_2_databases_data_and_serve_refuses_it_before(
    tmp_path: Path, db_url: str
) -> None:
    token = _make_version_2_database(db_url)
    refused = _run_cli(db_url, "serve", "--port", str(free_port()))
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "not migrated yet" in refused.stderr and "db upgrade" in refused.stderr
    current = _run_cli(db_url, "db", "current")
    assert current.returncode == 2 and json.loads(current.stdout)["revision"] is None

    upgraded = _run_cli(db_url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    current = _run_cli(db_url, "db", "current")
    assert current.returncode == 0 and json.loads(current.stdout)["state"] == "newest"
    again = _run_cli(db_url, "db", "upgrade")  # a second upgrade is a no-op
    assert again.returncode == 0, again.stderr

    with serving(tmp_path, db_url) as bo:
        who = httpx.get(f"{bo.base}/v1/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert who.json() == {"installer": "carol", "admin": True, "analyst": False}  # her old token kept its role
    assert _run_cli(db_url, "originator").stdout.strip() == "90-B3-D5-1F-30-01-00-00"


def test_serve_refuses_a_schema_changed_by_hand(tmp_path: Path, db_url: str) -> None:
    store = open_store(db_url)
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE bo_intents ADD COLUMN colour VARCHAR(10)"))
    store.dispose()
    refused = _run_cli(db_url, "serve", "--port", str(free_port()))
    assert refused.returncode == 2 and refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "differs" in refused.stderr and "bo_intents.colour" in refused.stderr


# --------------------------------------------------------------------------- request logs


def test_request_id_echoed_and_logged_with_the_installer_never_the_token(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'bo.db'}"
    with serving(tmp_path, db_url, "--log-format", "json") as bo:
        token = backoffice_token(db_url, "alice")
        headers = {"Authorization": f"Bearer {token}"}
        given = httpx.get(f"{bo.base}/v1/whoami", headers={**headers, "X-Request-ID": "laptop-42.a"}, timeout=10)
        made = httpx.get(f"{bo.base}/v1/status", params={"since": 0}, headers=headers, timeout=10)
        hostile = httpx.get(f"{bo.base}/v1/whoami", headers={**headers, "X-Request-ID": "x" * 500}, timeout=10)
        anonymous = httpx.get(f"{bo.base}/v1/whoami", timeout=10)
        time.sleep(0.5)
        log = bo.log()
    assert given.headers["x-request-id"] == "laptop-42.a"
    made_id = made.headers["x-request-id"]
    assert len(made_id) == 32 and hostile.headers["x-request-id"] not in ("", "x" * 500)
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    by_id = {line["request_id"]: line for line in lines}
    first = by_id["laptop-42.a"]
    assert (first["installer"], first["method"], first["route"], first["status"]) == ("alice", "GET", "/v1/whoami", 200)
    assert first["time"].endswith("Z") and first["duration_ms"] >= 0
    assert by_id[made_id]["route"] == "/v1/status" and by_id[made_id]["installer"] == "alice"
    assert by_id[anonymous.headers["x-request-id"]]["installer"] == "-"
    assert by_id[anonymous.headers["x-request-id"]]["status"] == 401
    assert token not in log


def test_text_log_line(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'bo.db'}"
    with serving(tmp_path, db_url) as bo:
        token = backoffice_token(db_url, "bob")
        httpx.get(f"{bo.base}/v1/whoami", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "r-1"}, timeout=10)
        time.sleep(0.5)
        log = bo.log()
    line = next(line for line in log.splitlines() if "req=r-1" in line)
    assert "installer=bob GET /v1/whoami 200 " in line and line.endswith("ms")
    assert token not in log


def test_a_database_fault_is_a_500_with_the_request_id(tmp_path: Path, db_url: str) -> None:
    with serving(tmp_path, db_url) as bo:
        token = backoffice_token(db_url, "alice")
        store = open_store(db_url, create=False)
        with store.engine.begin() as conn:  # the database itself refuses every new intent
            if store.dialect == "sqlite":
                # SQLITE_TOOBIG: a DataError, neither "busy" nor a key race
                conn.execute(text("CREATE TRIGGER no_intents BEFORE INSERT ON bo_intents "
                                  "BEGIN SELECT zeroblob(2000000000); END"))  # fmt: skip
            else:  # P0001 raise_exception: an InternalError
                conn.execute(text("CREATE FUNCTION no_intents() RETURNS trigger AS $$ BEGIN "
                                  "RAISE EXCEPTION 'maintenance'; END $$ LANGUAGE plpgsql"))  # fmt: skip
                conn.execute(text("CREATE TRIGGER no_intents BEFORE INSERT ON bo_intents "
                                  "FOR EACH ROW EXECUTE FUNCTION no_intents()"))  # fmt: skip
        store.dispose()
        answer = httpx.post(
            f"{bo.base}/v1/intents", json=[make_intent()], headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        time.sleep(0.5)
        log = bo.log()
    assert answer.status_code == 500, answer.text
    body = answer.json()
    assert body["request_id"] == answer.headers["x-request-id"] and "check the values" not in body["detail"]
    assert f"req={body['request_id']} installer=alice POST /v1/intents 500" in log
    assert "maintenance" not in answer.text and "zeroblob" not in answer.text
