"""Job packs (DOMAIN Part A3, ``hubcheck-jobpack/1``): untrusted JSON, problems reported by place."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.devices import DeviceType, RecordSource
from app.domain.errors import DomainInputError
from app.domain.jobpack import FORMAT, JobPackError, parse_job_pack, parse_job_pack_text
from app.domain.smets import Generation
from tests.helpers_domain import job_pack, jp_device

SPEC_EXAMPLE = {
    "format": "hubcheck-jobpack/1",
    "jobs": [
        {
            "job_ref": "J-000123",
            "mpxn": "1234567890123",
            "address": {"lines": ["1 Example Street", "Townsville"], "postcode": "AB1 2CD"},
            "devices": [
                {
                    "device_id": "00-0D-6F-00-00-AB-CD-EF",
                    "device_type": "PPMID",
                    "manufacturer_id": "10E0",
                    "model_id": "00090100",
                    "hardware_version": "0001",
                    "firmware_version": "00020002",
                    "smets_generation": "SMETS2+",
                    "smets_chts_version": "SMETS V4.2",
                    "smi_status": "Pending",
                }
            ],
        }
    ],
}


def test_the_spec_example_reads_completely() -> None:
    result = parse_job_pack(SPEC_EXAMPLE)
    assert result.problems == []
    assert len(result.jobs) == 1 and result.device_count == 1
    job = result.jobs[0]
    assert job.job_ref == "J-000123"
    assert job.mpxn == "1234567890123"
    assert job.address == "1 Example Street, Townsville, AB1 2CD"
    device = job.devices[0]
    assert str(device.device_id) == "00-0D-6F-00-00-AB-CD-EF"
    assert device.device_type is DeviceType.PPMID
    assert (device.manufacturer_id, device.model_id, device.hardware_version, device.firmware_version) == (
        "10E0",
        "00090100",
        "0001",
        "00020002",
    )
    assert device.generation is Generation.SMETS2_PLUS
    assert device.smi_status == "Pending"
    assert device.source is RecordSource.JOB_PACK
    assert device.job_ref == "J-000123"


def test_text_and_bytes_parse_alike() -> None:
    text = json.dumps(SPEC_EXAMPLE)
    assert parse_job_pack_text(text).jobs == parse_job_pack_text(text.encode()).jobs


@pytest.mark.parametrize("notation", ["000d6f0000abcdef", "00:0D:6F:00:00:AB:CD:EF", "0x000D6F0000ABCDEF"])
def test_device_ids_in_any_accepted_notation(notation: str) -> None:
    result = parse_job_pack_text(job_pack([{"job_ref": "J1", "devices": [jp_device(notation)]}]))
    assert str(result.jobs[0].devices[0].device_id) == "00-0D-6F-00-00-AB-CD-EF"


def test_optional_fields_may_be_absent_and_hex_is_normalised() -> None:
    device = {"device_id": "0011223344556677", "device_type": "ppmid", "manufacturer_id": " 10e0 ",
              "model_id": "00090100", "firmware_version": "5a000002"}
    result = parse_job_pack_text(job_pack([{"job_ref": "J1", "devices": [device]}]))
    record = result.jobs[0].devices[0]
    assert record.device_type is DeviceType.PPMID
    assert record.manufacturer_id == "10E0"
    assert record.firmware_version == "5A000002"
    assert record.hardware_version == ""
    assert record.stated_generation is None
    assert record.generation is None  # nothing says which generation: unknown, not a guess


def test_generation_from_version_text_when_not_stated() -> None:
    device = jp_device("0011223344556677", smets_chts_version="SMETS V1.58")
    record = parse_job_pack_text(job_pack([{"job_ref": "J1", "devices": [device]}])).jobs[0].devices[0]
    assert record.generation is Generation.SMETS2_PLUS


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"jobs": []}', "format"),
        ('{"format": "hubcheck-jobpack/2", "jobs": []}', "hubcheck-jobpack/1"),
        ('{"format": "hubcheck-jobpack/1", "jobs": {}}', "'jobs' must be a list"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ],
    ids=["empty", "truncated", "binary", "array", "no-format", "other-format", "jobs-object", "deep-nesting"],
)
def test_unreadable_files_raise_the_job_pack_error(text: str | bytes, says: str) -> None:
    with pytest.raises(JobPackError, match=says):
        parse_job_pack_text(text)


def test_bad_jobs_and_devices_are_reported_by_place_while_the_rest_imports() -> None:
    jobs = [
        {"job_ref": "J1", "devices": [jp_device("0011223344556677"), jp_device("00112233"), jp_device("0011223344556688", "TOASTER")]},
        "not a job",
        {"devices": []},
        {"job_ref": "J1", "devices": []},
        {"job_ref": "J2", "devices": {"oops": 1}},
        {"job_ref": "J3", "devices": [jp_device("0011223344556699", smets_generation="SMETS3"), 7]},
    ]
    result = parse_job_pack_text(job_pack(jobs))
    assert [j.job_ref for j in result.jobs] == ["J1", "J2", "J3"]
    assert result.device_count == 1
    where = dict(result.problems)
    assert set(where) == {
        "jobs[0].devices[1]",
        "jobs[0].devices[2]",
        "jobs[1]",
        "jobs[2]",
        "jobs[3]",
        "jobs[4].devices",
        "jobs[5].devices[0]",
        "jobs[5].devices[1]",
    }
    assert "device_id" in where["jobs[0].devices[1]"] and "8 hex digits" in where["jobs[0].devices[1]"]
    assert "TOASTER" in where["jobs[0].devices[2]"]
    assert "twice" in where["jobs[3]"]
    assert "SMETS3" in where["jobs[5].devices[0]"]


@pytest.mark.parametrize("field", ["manufacturer_id", "model_id", "hardware_version", "firmware_version"])
@pytest.mark.parametrize("value", [10, 1.5, ["10E0"], {"x": 1}, True])
def test_non_text_hex_fields_are_a_reported_problem_not_a_crash(field: str, value: object) -> None:
    device = jp_device("0011223344556677", **{field: value})
    result = parse_job_pack_text(job_pack([{"job_ref": "J1", "devices": [device, jp_device("0011223344556688")]}]))
    assert result.device_count == 1
    assert [w for w, _ in result.problems] == ["jobs[0].devices[0]"]
    assert field in result.problems[0][1]


def test_job_pack_error_is_a_domain_error() -> None:
    assert issubclass(JobPackError, DomainInputError)
    assert FORMAT == "hubcheck-jobpack/1"


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=20,
)
device_like = st.fixed_dictionaries(
    {},
    optional={
        "device_id": st.one_of(st.text(max_size=20), json_values, st.just("0011223344556677")),
        "device_type": st.one_of(st.sampled_from(["PPMID", "CHF", "ESME", "X"]), json_values),
        "manufacturer_id": json_values,
        "model_id": json_values,
        "hardware_version": json_values,
        "firmware_version": json_values,
        "smets_generation": st.one_of(st.sampled_from(["SMETS1", "SMETS2+", "bad"]), json_values),
        "smets_chts_version": json_values,
        "smi_status": json_values,
    },
)
job_like = st.fixed_dictionaries(
    {},
    optional={
        "job_ref": st.one_of(st.text(max_size=6), json_values),
        "mpxn": json_values,
        "address": json_values,
        "visit_date": json_values,
        "devices": st.one_of(st.lists(st.one_of(device_like, json_values), max_size=4), json_values),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(job_like, json_values), max_size=4))
def test_arbitrary_job_content_raises_nothing_but_reports_problems(jobs: list[object]) -> None:
    result = parse_job_pack({"format": FORMAT, "jobs": jobs})
    for where, message in result.problems:
        assert where.startswith("jobs[") and message


@settings(max_examples=300)
@given(st.text())
def test_arbitrary_text_raises_only_the_domain_error(text: str) -> None:
    try:
        parse_job_pack_text(text)
    except DomainInputError as exc:
        assert str(exc)
