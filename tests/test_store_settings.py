"""Typed settings in settings.json: defaults, validation listing allowed values, corrupt files set aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.errors import DomainInputError
from app.store.settings import FILE_NAME, SETTINGS_VERSION, SPECS, SettingError, SettingsStore


def test_defaults_without_a_file(tmp_path: Path) -> None:
    loaded = SettingsStore(tmp_path).load()
    assert loaded.problem is None
    assert loaded.values["regime"] == "tactical"  # A1: the cautious default
    assert set(loaded.values) == set(SPECS)
    assert not (tmp_path / FILE_NAME).exists(), "reading never writes"


def test_set_persists_typed_values(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    assert store.set("regime", " MP202 ") == "mp202"
    assert store.set("wedge_max_interval_ms", "50") == 50
    assert store.set("sound_enabled", "no") is False
    assert store.set("originator_id", "90b3d51f30010000") == "90-B3-D5-1F-30-01-00-00"
    assert store.set("backoffice_url", "https://bo.example.test/") == "https://bo.example.test"
    fresh = SettingsStore(tmp_path)
    assert fresh.get("regime") == "mp202"
    assert fresh.get("wedge_max_interval_ms") == 50
    assert fresh.get("sound_enabled") is False
    raw = json.loads((tmp_path / FILE_NAME).read_text(encoding="utf-8"))
    assert raw["version"] == SETTINGS_VERSION
    assert raw["values"]["regime"] == "mp202"
    assert not list(tmp_path.glob(".settings-*")), "no temporary file is left behind"


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("regime", "enduring", "tactical, mp202"),
        ("regime_source", "dcc", "local, backoffice"),
        ("decoder", "opencv", "zxing, zbar"),
        ("wedge_max_interval_ms", "fast", "5 to 500"),
        ("wedge_max_interval_ms", "501", "5 to 500"),
        ("join_time_period", "3601", "1 to 3600"),
        ("sound_enabled", "maybe", "true or false"),
        ("originator_id", "90-B3", "EUI-64"),
        ("backoffice_url", "ftp://x", "http"),
    ],
)
def test_bad_values_are_refused_listing_what_is_allowed(tmp_path: Path, key: str, value: str, allowed: str) -> None:
    store = SettingsStore(tmp_path)
    store.set("regime", "mp202")
    before = (tmp_path / FILE_NAME).read_bytes()
    with pytest.raises(SettingError) as info:
        store.set(key, value)
    assert allowed in str(info.value)
    assert (tmp_path / FILE_NAME).read_bytes() == before, "a refused value changes nothing"
    assert issubclass(SettingError, DomainInputError)


def test_unknown_key_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(SettingError) as info:
        SettingsStore(tmp_path).set("colour", "red")
    for key in ("regime", "decoder", "join_time_period"):
        assert key in str(info.value)
    with pytest.raises(SettingError):
        SettingsStore(tmp_path).get("colour")


def test_set_many_is_all_or_nothing(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    with pytest.raises(SettingError):
        store.set_many({"regime": "mp202", "decoder": "bogus"})
    assert store.get("regime") == "tactical"
    store.set_many({"regime": "mp202", "decoder": "zbar"})
    assert (store.get("regime"), store.get("decoder")) == ("mp202", "zbar")


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[1, 2, 3]",
        '{"version": 99, "values": {"regime": "mp202"}}',
        '{"version": 1, "values": ["regime"]}',
        "\x00\x01\x02",
    ],
    ids=["garbage", "array", "newer-version", "values-list", "binary"],
)
def test_corrupt_file_is_set_aside_and_defaults_used(tmp_path: Path, content: str) -> None:
    path = tmp_path / FILE_NAME
    path.write_text(content, encoding="utf-8")
    loaded = SettingsStore(tmp_path).load()
    assert loaded.values == {k: s.default for k, s in SPECS.items()}
    assert loaded.problem is not None
    aside = list(tmp_path.glob(f"{FILE_NAME}.bad-*"))
    assert len(aside) == 1
    assert aside[0].name in loaded.problem
    assert "defaults" in loaded.problem
    assert aside[0].read_text(encoding="utf-8") == content, "the bad file is kept as it was"
    assert not path.exists()
    # Working on from defaults writes a good file again.
    store = SettingsStore(tmp_path)
    store.set("regime", "mp202")
    assert SettingsStore(tmp_path).load().problem is None
    assert SettingsStore(tmp_path).get("regime") == "mp202"


def test_unknown_keys_in_the_file_are_ignored(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text(json.dumps({"version": 1, "values": {"regime": "mp202", "future": 1}}))
    loaded = SettingsStore(tmp_path).load()
    assert loaded.problem is None
    assert loaded.values["regime"] == "mp202"
    assert "future" not in loaded.values


def test_one_bad_value_resets_only_that_key_and_keeps_the_file_aside(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    store.set("backoffice_url", "https://backoffice.example.test")
    store.set("regime", "mp202")
    raw = json.loads(store.path.read_text(encoding="utf-8"))
    raw["values"]["wedge_min_length"] = "not a number"
    store.path.write_text(json.dumps(raw), encoding="utf-8")

    loaded = store.load()

    assert loaded.problem is not None and "wedge_min_length" in loaded.problem
    assert loaded.values["regime"] == "mp202"
    assert loaded.values["backoffice_url"] == "https://backoffice.example.test"
    assert loaded.values["wedge_min_length"] == SPECS["wedge_min_length"].default
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("settings.json.bad-")]
    assert len(kept) == 1 and "not a number" in kept[0].read_text(encoding="utf-8")
    assert store.load().problem is None  # reported once; the rewritten file is clean
