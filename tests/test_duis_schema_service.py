"""DuisSchema loading, and the services layer's choice of schema file (setting → shared copy → None)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.duis import DuisSchema, DuisSchemaError, ReadInventory
from app.domain.ids import parse_device_id
from app.services import duis_schema
from app.services.duis_schema import clear_schema_cache, load_configured_schema

VALID = ReadInventory.by_device_id(parse_device_id("00-DB-12-34-56-78-90-A2")).render(
    "90-B3-D5-1F-30-01-00-00:90-B3-D5-1F-30-00-00-02:1"
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_schema_cache()


def test_explicit_path_is_loaded_and_cached(duis_xsd: Path) -> None:
    first = load_configured_schema(str(duis_xsd))
    assert isinstance(first, DuisSchema)
    assert first.validate(VALID) == []
    assert load_configured_schema(str(duis_xsd)) is first
    clear_schema_cache()
    assert load_configured_schema(str(duis_xsd)) is not first


def test_no_setting_falls_back_to_the_shared_copy(duis_xsd: Path) -> None:
    default = duis_schema.default_schema_path()
    assert default is not None and default.resolve() == duis_xsd.resolve()
    schema = load_configured_schema(None)
    assert schema is not None and schema is load_configured_schema("")
    assert schema is load_configured_schema(str(duis_xsd))


def test_no_setting_and_no_shared_copy_gives_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duis_schema, "SHARED_SCHEMA", tmp_path / "absent.xsd")
    assert load_configured_schema(None) is None


def test_a_configured_path_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DuisSchemaError, match="does not exist"):
        load_configured_schema(str(tmp_path / "nope.xsd"))


def test_a_configured_file_that_is_not_a_schema_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xsd"
    bad.write_text("<not-a-schema/>")
    with pytest.raises(DuisSchemaError, match="could not be loaded"):
        load_configured_schema(str(bad))
    bad.write_text("<<<")
    with pytest.raises(DuisSchemaError, match="could not be loaded"):
        DuisSchema.from_path(bad)


def test_from_bytes_needs_the_base_url_for_its_imports(duis_xsd: Path) -> None:
    data = duis_xsd.read_bytes()
    schema = DuisSchema.from_bytes(data, base_url=str(duis_xsd))
    assert schema.validate(VALID) == []
    assert "duis-v5.4.xsd" in repr(schema)
    with pytest.raises(DuisSchemaError):
        DuisSchema.from_bytes(b"garbage")


def test_assert_valid_lists_errors(duis_xsd: Path) -> None:
    schema = load_configured_schema(str(duis_xsd))
    assert schema is not None
    schema.assert_valid(VALID)
    with pytest.raises(DuisSchemaError, match="does not validate") as info:
        schema.assert_valid(VALID.replace(b"00-DB-12-34-56-78-90-A2", b"00DB"), what="8.2 request")
    assert info.value.errors and "8.2 request" in str(info.value)
