"""CPL and job-pack upload (admin endpoint and CLI) and download by laptops."""

from __future__ import annotations

import json
from pathlib import Path

from app.backoffice.cli import main
from app.backoffice.db import Store
from tests.test_backoffice_support import *  # noqa: F403  (the fixtures)
from tests.test_backoffice_support import TestClient

CPL_CSV = (
    b"Device Type,Manufacturer ID,Model ID,Firmware Version,Status\nPPMID,10E0,00090100,00020002,Active\n"
)
JOBPACK = {
    "format": "hubcheck-jobpack/1",
    "jobs": [{"job_ref": "J-000123", "mpxn": "1234567890123", "devices": []}],
}


def upload_cpl(client: TestClient, headers: dict[str, str], name: str, content: bytes, day: str) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/v1/admin/cpl", params={"name": name, "published_on": day}, content=content, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_no_cpl_yet_is_404(client: TestClient, alice: dict[str, str]) -> None:
    assert client.get("/v1/cpl/latest", headers=alice).status_code == 404
    assert client.get("/v1/cpl/latest/info", headers=alice).status_code == 404


def test_latest_cpl_by_date_with_name_and_etag(
    client: TestClient, admin: dict[str, str], alice: dict[str, str]
) -> None:
    upload_cpl(client, admin, "cpl-may.csv", CPL_CSV, "2026-05-01")
    upload_cpl(client, admin, "cpl-april.csv", b"Device Type\nCHF\n", "2026-04-01")
    response = client.get("/v1/cpl/latest", headers=alice)
    assert response.status_code == 200
    assert response.content == CPL_CSV
    assert response.headers["X-HubCheck-CPL-Name"] == "cpl-may.csv"
    assert response.headers["X-HubCheck-CPL-Date"] == "2026-05-01"
    assert 'filename="cpl-may.csv"' in response.headers["Content-Disposition"]
    again = client.get("/v1/cpl/latest", headers={**alice, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    info = client.get("/v1/cpl/latest/info", headers=alice).json()
    assert (info["name"], info["published_on"], info["size"]) == ("cpl-may.csv", "2026-05-01", len(CPL_CSV))


def test_cpl_upload_refuses_non_cpl_files(client: TestClient, admin: dict[str, str]) -> None:
    for name, content in (
        ("cpl.pdf", b"%PDF"),
        ("cpl.xlsx", b"not a zip"),
        ("cpl.csv", b""),
        ("a/b.csv", b"x"),
    ):
        response = client.post("/v1/admin/cpl", params={"name": name}, content=content, headers=admin)
        assert response.status_code == 422, (name, response.text)


def test_cpl_upload_from_the_cli(
    tmp_path: Path, db_url: str, store: Store, client: TestClient, alice: dict[str, str], capsys
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "CPL 2026-06 (ü).csv"
    path.write_bytes(CPL_CSV)
    assert main(["--db", db_url, "cpl", "upload", str(path), "--date", "2026-06-01"]) == 0
    assert json.loads(capsys.readouterr().out)["published_on"] == "2026-06-01"
    response = client.get("/v1/cpl/latest", headers=alice)
    assert response.content == CPL_CSV
    assert "filename*=UTF-8''CPL%202026-06%20%28%C3%BC%29.csv" in response.headers["Content-Disposition"]


def test_jobpacks_per_installer(
    client: TestClient, admin: dict[str, str], alice: dict[str, str], bob: dict[str, str]
) -> None:
    content = json.dumps(JOBPACK).encode()
    mine = client.post(
        "/v1/admin/jobpacks",
        params={"name": "alice.json", "installer": "alice"},
        content=content,
        headers=admin,
    )
    assert mine.status_code == 201, mine.text
    everyone = client.post("/v1/admin/jobpacks", params={"name": "all.json"}, content=content, headers=admin)
    assert everyone.status_code == 201
    alice_list = client.get("/v1/jobpacks", headers=alice).json()["jobpacks"]
    assert [(p["name"], p["installer"]) for p in alice_list] == [("alice.json", "alice"), ("all.json", None)]
    assert alice_list[0]["job_refs"] == ["J-000123"]
    bob_list = client.get("/v1/jobpacks", headers=bob).json()["jobpacks"]
    assert [p["name"] for p in bob_list] == ["all.json"]
    assert client.get("/v1/jobpacks", params={"installer": "alice"}, headers=bob).status_code == 403
    assert (
        len(client.get("/v1/jobpacks", params={"installer": "alice"}, headers=admin).json()["jobpacks"]) == 2
    )
    pack_id = alice_list[0]["id"]
    download = client.get(f"/v1/jobpacks/{pack_id}", headers=alice)
    assert download.status_code == 200 and json.loads(download.content) == JOBPACK
    assert client.get(f"/v1/jobpacks/{pack_id}", headers=bob).status_code == 404


def test_jobpack_validation(client: TestClient, admin: dict[str, str]) -> None:
    bad = [
        b"{",
        json.dumps({"format": "other"}).encode(),
        json.dumps({"format": "hubcheck-jobpack/1", "jobs": []}).encode(),
    ]
    for content in bad:
        response = client.post(
            "/v1/admin/jobpacks", params={"name": "x.json"}, content=content, headers=admin
        )
        assert response.status_code == 422
    unknown = client.post(
        "/v1/admin/jobpacks",
        params={"name": "x.json", "installer": "nobody"},
        content=json.dumps(JOBPACK).encode(),
        headers=admin,
    )
    assert unknown.status_code == 422


def test_jobs_upload_from_the_cli(
    tmp_path: Path, db_url: str, store: Store, client: TestClient, alice: dict[str, str]
) -> None:
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(JOBPACK))
    assert main(["--db", db_url, "jobs", "upload", str(path), "--installer", "alice"]) == 0
    assert main(["--db", db_url, "jobs", "upload", str(path), "--installer", "ghost"]) == 2
    assert [p["name"] for p in client.get("/v1/jobpacks", headers=alice).json()["jobpacks"]] == ["jobs.json"]
