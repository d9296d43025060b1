"""Visit scenarios, the meter check, prerequisites and remedies (DOMAIN A5), through the service
and the command line, on a real SQLite file with the sample CPL and job packs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.cli import main
from app.domain.duis import CHFLocation, DuisSchema
from app.services.context import AppContext
from app.services.cpl_import import import_cpl
from app.services.installs import RemedyKind, VisitError, VisitRequest, record_visit
from app.services.jobs_import import import_jobs_file

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample"
LABELS = {row["job_ref"]: row for row in json.loads((SAMPLE / "labels.json").read_text()) if row["job_ref"]}
GOOD = json.loads((SAMPLE / "labels.json").read_text())[0]  # J-000101: SMETS2+ hub, InstalledNotCommissioned
MISMATCH = LABELS["J-000102"]  # bilingual PPMID pre-notified SMETS2+, SMETS1 hub
S1_OK = LABELS["J-000103"]  # SMETS1 hub, PPMID pre-notified SMETS1
BROKER = "90-B3-D5-1F-30-00-00-02"  # non-device requests go to the DCC Access Control Broker

# A job of our own: a SMETS2+ hub, an ESME and a GSME with install codes, the hub's GPF and a PPMID.
HUB, ESME, GSME, GPF, PPMID = (f"0A-1B-2C-00-00-00-20-0{n}" for n in (2, 0, 1, 3, 4))
PPMID_CODE = "83FED3407A939723A5C639B26916D505"
PPMID_LABEL = "Z:0A1B2C0000002004$I:83FED3407A939723A5C639B26916D505C3B5"


def _device(device_id: str, kind: str, **extra: Any) -> dict[str, Any]:
    models = {
        "CHF": ("106C", "433100AC", "9001", "CHTS V1.4"),
        "GPF": ("106C", "433100AC", "9001", "CHTS V1.4"),
        "ESME": ("1063", "00050203", "38040404", "SMETS V4.2"),
        "GSME": ("1063", "00050203", "38040404", "SMETS V4.2"),
        "PPMID": ("10E0", "00090100", "00020002", "SMETS V4.2"),
    }
    mfr, model, fw, version = models[kind]
    record = {"device_id": device_id, "device_type": kind, "manufacturer_id": mfr, "model_id": model,
              "firmware_version": fw, "smets_chts_version": version, "smi_status": "Pending"}
    if kind == "PPMID":
        record.update(hardware_version="0001", smets_generation="SMETS2+")
    if kind == "CHF":
        record["smets_generation"] = "SMETS2+"
    record.update(extra)
    return {k: v for k, v in record.items() if v is not None}


def own_pack(tmp: Path, *, hub_status: str | None = "InstalledNotCommissioned", gsme_code: str | None = None,
             ppmid_status: str = "Pending") -> Path:
    devices = [
        _device(ESME, "ESME", install_code="00112233445566778899AABBCCDD2000"),
        _device(GSME, "GSME", install_code=gsme_code or "00112233445566778899AABBCCDD2001"),
        _device(GPF, "GPF"),
        _device(HUB, "CHF", smi_status=hub_status),
        _device(PPMID, "PPMID", smi_status=ppmid_status),
    ]
    if gsme_code == "":
        del devices[1]["install_code"]
    path = tmp / "own-pack.json"
    path.write_text(json.dumps({"format": "hubcheck-jobpack/1", "jobs": [
        {"job_ref": "J-200001", "mpxn": "1900000200001", "address": {"lines": ["1 Own Street"], "postcode": "ZZ9 9ZZ"},
         "devices": devices}]}))
    return path


@pytest.fixture
def ctx(tmp_path: Path) -> AppContext:
    context = AppContext(tmp_path / "data")
    import_cpl(context, SAMPLE / "cpl.csv")
    import_jobs_file(context, SAMPLE / "jobpack.json")
    return context


def _request(row: dict[str, Any], **extra: Any) -> VisitRequest:
    values: dict[str, Any] = {"job_ref": row["job_ref"], "ppmid": row["ppmid_label"], "hub": row["hub_label"],
                              "meter": row["meter_label"], "hub_location": CHFLocation.DEEP_INDOORS}
    values.update(extra)
    return VisitRequest(**values)


def _own(**extra: Any) -> VisitRequest:
    values: dict[str, Any] = {"job_ref": "J-200001", "ppmid": PPMID_LABEL, "hub": HUB, "meter": ESME,
                              "hub_location": CHFLocation.DEEP_INDOORS}
    values.update(extra)
    return VisitRequest(**values)


def _count(ctx: AppContext, table: str) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def _plan(outcome: Any) -> list[tuple[str, str]]:
    return [(i.srv, i.target) for i in outcome.intents]


def _waits(outcome: Any) -> list[list[int]]:
    position = {i.idempotency_key: n for n, i in enumerate(outcome.intents)}
    return [sorted(position[k] for k in i.depends_on) for i in outcome.intents]


# --------------------------------------------------------------------------- scenarios


def test_new_hub_proposed_by_its_smi_status_queues_8_14_and_an_8_11_per_meter(ctx: AppContext, tmp_path: Path) -> None:
    import_jobs_file(ctx, own_pack(tmp_path))
    outcome = record_visit(ctx, _own())
    assert _plan(outcome) == [
        ("8.14.1", BROKER), ("8.11", HUB), ("8.11", HUB), ("8.11", HUB),
        ("8.7.1", ESME), ("8.7.2", PPMID), ("8.2", BROKER), ("11.2", PPMID),
    ]
    assert _waits(outcome) == [[], [0], [0], [0], [1, 3], [1, 3], [], [3]]
    assert outcome.scenario is not None
    assert (outcome.scenario.scenario.value, outcome.scenario.chosen_by) == ("new-hub", "hub_smi_status")
    with ctx.engine.connect() as conn:
        bodies = [json.loads(p)["body"] for (p,) in conn.execute(
            text("SELECT payload_json FROM outbox_intents WHERE srv = '8.11' ORDER BY id"))]
        meta = json.loads(conn.execute(text("SELECT meta_json FROM install_visits")).scalar_one())
    assert [(b["device_id"], b["install_code"]) for b in bodies] == [
        (ESME, "00112233445566778899AABBCCDD2000"), (GSME, "00112233445566778899AABBCCDD2001"), (PPMID, PPMID_CODE)]
    assert (meta["scenario"], meta["scenario_chosen_by"]) == ("new-hub", "hub_smi_status")


def test_existing_hub_queues_no_8_14(ctx: AppContext, tmp_path: Path) -> None:
    import_jobs_file(ctx, own_pack(tmp_path, hub_status="Commissioned"))
    outcome = record_visit(ctx, _own())
    assert _plan(outcome) == [("8.11", HUB), ("8.7.1", ESME), ("8.7.2", PPMID), ("8.2", BROKER), ("11.2", PPMID)]
    assert _waits(outcome) == [[], [0], [0], [], [0]]
    assert outcome.scenario is not None and outcome.scenario.why == "the hub's SMI status is Commissioned: it was there already"


def test_the_installer_changes_the_proposal_and_the_json_says_so(ctx: AppContext) -> None:
    outcome = record_visit(ctx, _request(GOOD, scenario="existing-hub"))
    assert [srv for srv, _ in _plan(outcome)] == ["8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    out = outcome.to_json()
    assert (out["scenario"], out["scenario_chosen_by"], out["scenario_proposed"]) == (
        "existing-hub", "installer", "new-hub")
    assert out["scenario_reason"].startswith("given by the installer instead of the proposed new-hub")


def test_a_smets1_hub_is_proposed_as_existing_and_refused_as_new(ctx: AppContext) -> None:
    outcome = record_visit(ctx, _request(S1_OK))
    assert [srv for srv, _ in _plan(outcome)] == ["8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    assert outcome.scenario is not None and "SMETS1 hub" in outcome.scenario.why
    with pytest.raises(VisitError, match="a SMETS1 hub is never fitted as a new DCC hub"):
        record_visit(ctx, _request(S1_OK, scenario="new-hub"))
    assert _count(ctx, "install_visits") == 1 and _count(ctx, "outbox_intents") == 5


def test_no_smi_status_proposes_nothing_and_the_installer_must_say(ctx: AppContext, tmp_path: Path) -> None:
    import_jobs_file(ctx, own_pack(tmp_path, hub_status=None))
    with pytest.raises(VisitError, match="say which visit this is, existing-hub or new-hub: the job pack"):
        record_visit(ctx, _own())
    assert _count(ctx, "outbox_intents") == 0
    assert record_visit(ctx, _own(scenario="new-hub")).intents[0].srv == "8.14.1"
    with pytest.raises(VisitError, match="scenario 'brand-new' is not known; use existing-hub or new-hub"):
        record_visit(ctx, _own(scenario="brand-new"))


def test_a_new_hub_needs_each_meters_install_code(ctx: AppContext, tmp_path: Path) -> None:
    import_jobs_file(ctx, own_pack(tmp_path, gsme_code=""))
    with pytest.raises(VisitError, match=f"gives no install code for {GSME}"):
        record_visit(ctx, _own())
    assert _count(ctx, "outbox_intents") == 0 and _count(ctx, "install_visits") == 0


def test_no_wan_survey_is_refused_for_an_existing_hub(ctx: AppContext) -> None:
    with pytest.raises(VisitError, match="an existing-hub visit does not queue"):
        record_visit(ctx, _request(S1_OK, wan=False))


# --------------------------------------------------------------------------- the meter


@pytest.mark.parametrize(
    ("meter", "message"),
    [
        (GPF, f"the meter {GPF} is a GPF (the hub's gas proxy), not an electricity or gas meter"),
        (HUB, f"the meter {HUB} is the hub you scanned"),
        (PPMID, f"the meter {PPMID} is the PPMID you scanned"),
        ("0A-1B-2C-00-00-00-99-99", "the meter 0A-1B-2C-00-00-00-99-99 is in no job pack or DCC inventory"),
        ("0A-1B-2C-00-00-00-00-20", "the meter 0A-1B-2C-00-00-00-00-20 belongs to job J-000102, not J-200001"),
        ("0A-1B-2C-00-00-00-00-24", "the meter 0A-1B-2C-00-00-00-00-24 belongs to job J-000102, not J-200001"),
        ("0A-1B-2C-00-00-00-00-22", "the meter 0A-1B-2C-00-00-00-00-22 belongs to job J-000102, not J-200001"),
    ],
)
def test_the_meter_must_be_a_meter_of_the_job(ctx: AppContext, tmp_path: Path, meter: str, message: str) -> None:
    import_jobs_file(ctx, own_pack(tmp_path))
    with pytest.raises(VisitError) as caught:
        record_visit(ctx, _own(meter=meter))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert _count(ctx, "outbox_intents") == 0 and _count(ctx, "install_visits") == 0 and _count(ctx, "audit_journal") == 0


def test_the_gas_meter_of_the_job_is_accepted_with_its_type(ctx: AppContext, tmp_path: Path) -> None:
    import_jobs_file(ctx, own_pack(tmp_path))
    outcome = record_visit(ctx, _own(meter=GSME))
    assert ("8.7.1", GSME) in _plan(outcome)
    with pytest.raises(VisitError, match=f"the meter {GSME} is an GSME, not a ESME"):
        from app.domain.devices import DeviceType

        record_visit(ctx, _own(meter=GSME, meter_type=DeviceType.ESME))


def _inventory(devices: list[tuple[str, str]]) -> bytes:
    ns = "http://www.dccinterface.co.uk/ServiceUserGateway"
    body = "".join(
        f"<sr:Device><sr:DeviceID>{d}</sr:DeviceID><sr:DeviceType>{kind}</sr:DeviceType>"
        f"<sr:DeviceStatus>Commissioned</sr:DeviceStatus><sr:DeviceManufacturer>1063</sr:DeviceManufacturer>"
        f"<sr:DeviceModel>00050203</sr:DeviceModel><sr:CPLStatus>Active</sr:CPLStatus></sr:Device>"
        for d, kind in devices
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sr:Response xmlns:sr="{ns}" schemaVersion="5.4"><sr:Header>'
        "<sr:RequestID>90-B3-D5-1F-30-01-00-00:00-00-00-00-00-00-00-00:1</sr:RequestID><sr:ResponseCode>I0"
        "</sr:ResponseCode></sr:Header><sr:Body><sr:ResponseMessage><sr:ServiceReference>8.2</sr:ServiceReference>"
        f"<sr:DSPInventory>{body}</sr:DSPInventory></sr:ResponseMessage></sr:Body></sr:Response>"
    ).encode()


def test_a_meter_of_the_dcc_inventory_read_with_the_hub_is_accepted(ctx: AppContext, tmp_path: Path) -> None:
    """A meter the job pack does not list, but the DCC's 8.2 for the hub does (an existing hub's meter)."""
    import_jobs_file(ctx, own_pack(tmp_path, hub_status="Commissioned"))
    other_meter, stray_meter = "0A-1B-2C-00-00-00-20-0A", "0A-1B-2C-00-00-00-20-0B"
    (tmp_path / "read.xml").write_bytes(_inventory([(HUB, "CHF"), (other_meter, "ESME")]))
    import_jobs_file(ctx, tmp_path / "read.xml")
    (tmp_path / "other.xml").write_bytes(_inventory([(stray_meter, "ESME")]))
    import_jobs_file(ctx, tmp_path / "other.xml")
    outcome = record_visit(ctx, _own(meter=other_meter))
    assert ("8.7.1", other_meter) in _plan(outcome)
    with pytest.raises(VisitError, match="is in the DCC inventory but not in the one read with hub"):
        record_visit(ctx, _own(meter=stray_meter))


# --------------------------------------------------------------------------- remedies


def test_the_8_4_remedy_takes_the_cpl_entry_and_everything_waits_for_it(ctx: AppContext) -> None:
    outcome = record_visit(ctx, _request(MISMATCH, override_reason="moving it", remedy=RemedyKind.UPDATE_INVENTORY))
    assert _plan(outcome) == [("8.4", BROKER), ("8.11", MISMATCH["hub_label"]), ("8.7.1", MISMATCH["meter_label"]),
                              ("8.7.2", "0A-1B-2C-00-00-00-00-24"), ("8.2", BROKER), ("11.2", "0A-1B-2C-00-00-00-00-24")]
    assert _waits(outcome) == [[], [0], [0, 1], [0, 1], [0], [0, 1]]
    assert [i.needs_approval for i in outcome.intents] == [True, False, False, False, False, False]
    with ctx.engine.connect() as conn:
        body = json.loads(conn.execute(text("SELECT payload_json FROM outbox_intents WHERE srv = '8.4'")).scalar_one())
    assert (body["body"]["firmware_version"], body["body"]["smets_chts_version"]) == ("5A000002", "SMETS1")


def test_a_remedy_that_does_not_apply_is_refused(ctx: AppContext, tmp_path: Path) -> None:
    pack = own_pack(tmp_path)
    data = json.loads(pack.read_text())
    for device in data["jobs"][0]["devices"]:  # a SMETS2+-only PPMID model: it has no other entry
        if device["device_type"] == "PPMID":
            device.update(manufacturer_id="1187", model_id="00070001", hardware_version="0003",
                          firmware_version="01020304", smets_chts_version="SMETS V5.1")
    pack.write_text(json.dumps(data))
    import_jobs_file(ctx, pack)
    for kind in RemedyKind:
        with pytest.raises(VisitError, match="the hub's generation already: no remedy is needed"):
            record_visit(ctx, _request(GOOD, remedy=kind))  # an ok visit: nothing to move
        with pytest.raises(VisitError, match="moves a PPMID of a bilingual model .*; this model is not one"):
            record_visit(ctx, _own(remedy=kind))
    assert _count(ctx, "outbox_intents") == 0 and _count(ctx, "install_visits") == 0


def test_the_remedy_needs_a_pending_ppmid(ctx: AppContext, tmp_path: Path) -> None:
    pack = own_pack(tmp_path, hub_status="Commissioned", ppmid_status="Whitelisted")
    data = json.loads(pack.read_text())
    for device in data["jobs"][0]["devices"]:  # an existing SMETS1 hub for the PPMID pre-notified SMETS2+
        if device["device_type"] == "CHF":
            device.update(manufacturer_id="1072", model_id="57310102", firmware_version="04000007",
                          smets_generation="SMETS1", smets_chts_version="SMETS1")
    pack.write_text(json.dumps(data))
    import_jobs_file(ctx, pack)
    with pytest.raises(VisitError, match="moves only a Pending PPMID to its other CPL entry; PPMID .* is Whitelisted"):
        record_visit(ctx, _own(override_reason="moving it", remedy="update-inventory"))


def test_the_manual_inventory_change_is_recorded_like_a_remedy(ctx: AppContext) -> None:
    outcome = record_visit(ctx, _request(MISMATCH, override_reason="DCC asked", remedy="manual-inventory-change"))
    assert [srv for srv, _ in _plan(outcome)] == ["8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    assert outcome.remedy == {"kind": "manual-inventory-change", "device_id": "0A-1B-2C-00-00-00-00-24",
                              "firmware_version": "5A000002", "smets_chts_version": "SMETS1",
                              "needs_approval": True, "queued": False}
    with ctx.engine.connect() as conn:
        meta = json.loads(conn.execute(text("SELECT meta_json FROM install_visits")).scalar_one())
        detail = json.loads(conn.execute(text("SELECT detail_json FROM audit_journal")).scalar_one())
    assert meta["remedy"] == "manual inventory change" and meta["remedy_detail"] == outcome.remedy
    assert detail["remedy"] == outcome.remedy


# --------------------------------------------------------------------------- SMETS1 Secure sites


def test_no_firmware_read_for_a_third_party_ppmid_at_a_secure_smets1_site(ctx: AppContext, tmp_path: Path) -> None:
    ns = "http://www.dccinterface.co.uk/ServiceUserGateway"
    hub = S1_OK["hub_label"]
    (tmp_path / "s1.xml").write_text(
        f'<?xml version="1.0"?><sr:Response xmlns:sr="{ns}"><sr:Header><sr:ResponseCode>I0</sr:ResponseCode>'
        "</sr:Header><sr:Body><sr:ResponseMessage><sr:DSPInventory><sr:Device>"
        f"<sr:DeviceID>{hub}</sr:DeviceID><sr:DeviceType>CHF</sr:DeviceType><sr:DeviceStatus>Commissioned"
        "</sr:DeviceStatus><sr:DeviceManufacturer>1072</sr:DeviceManufacturer><sr:DeviceModel>57310102"
        "</sr:DeviceModel><sr:DeviceFirmwareVersion>04000007</sr:DeviceFirmwareVersion><sr:CPLStatus>Active"
        "</sr:CPLStatus><sr:CSPRegion>SMETS1</sr:CSPRegion><sr:S1SP>S1SP-Secure</sr:S1SP></sr:Device>"
        "</sr:DSPInventory></sr:ResponseMessage></sr:Body></sr:Response>"
    )
    import_jobs_file(ctx, tmp_path / "s1.xml")
    outcome = record_visit(ctx, _request(S1_OK))
    assert "S1_SECURE_THIRD_PARTY" in {r["code"] for r in outcome.reasons}
    assert [srv for srv, _ in _plan(outcome)] == ["8.11", "8.7.1", "8.7.2", "8.2"]


# --------------------------------------------------------------------------- command line


def test_queue_list_json_shows_depends_on_and_approval(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       duis_xsd: Path) -> None:
    d = str(tmp_path / "data")
    assert main(["--data-dir", d, "cpl", "import", str(SAMPLE / "cpl.csv")]) == 0
    assert main(["--data-dir", d, "jobs", "import", str(SAMPLE / "jobpack.json")]) == 0
    assert main(["--data-dir", d, "settings", "set", "duis_schema", str(duis_xsd)]) == 0
    capsys.readouterr()
    row = MISMATCH
    base = ["--data-dir", d, "install", "record", "--job", row["job_ref"], "--ppmid", row["ppmid_label"],
            "--hub", row["hub_label"], "--meter", row["meter_label"], "--override", "moving it"]
    assert main([*base, "--scenario", "new-hub"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SMETS1 hub is never fitted as a new DCC hub" in err
    assert main([*base, "--scenario", "newhub"]) == 2
    assert capsys.readouterr().err == "--scenario: scenario 'newhub' is not known; use existing-hub or new-hub\n"
    assert main([*base, "--scenario", "existing-hub", "--remedy", "update-inventory", "--json"]) == 0
    recorded = json.loads(capsys.readouterr().out)
    assert recorded["schema_checked"] and recorded["scenario"] == "existing-hub"
    assert main(["--data-dir", d, "queue", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["intents"]
    keys = [i["idempotency_key"] for i in listed]
    assert [i["srv"] for i in listed] == ["8.4", "8.11", "8.7.1", "8.7.2", "8.2", "11.2"]
    assert [i["depends_on"] for i in listed] == [
        [], [keys[0]], [keys[0], keys[1]], [keys[0], keys[1]], [keys[0]], [keys[0], keys[1]]]
    assert [i["needs_approval"] for i in listed] == [True] + [False] * 5
    assert [i["depends_on"] for i in recorded["intents"]] == [i["depends_on"] for i in listed]
    schema = DuisSchema.from_path(duis_xsd)
    with __import__("sqlite3").connect(tmp_path / "data" / "hubcheck.db") as db:
        for (xml,) in db.execute("SELECT duis_xml FROM outbox_intents"):
            assert schema.validate(xml.encode()) == []
