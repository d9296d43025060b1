"""CPL file rows → CplEntry: header-driven, because the published layout is not fixed.

Headers are matched case- and space-insensitively against aliases; unknown columns are
kept in ``extra``; a row that cannot be read becomes a RowProblem with its line number
while the rest of the file imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.devices import CplEntry, CplStatus, DeviceType
from app.domain.errors import DomainInputError
from app.domain.smets import parse_generation

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "device_type": ("devicetype", "type", "producttype"),
    "manufacturer_name": ("manufacturername", "manufacturer", "mfrname"),
    "manufacturer_id": ("manufacturerid", "manufactureridentifier", "mfrid", "manufacturercode"),
    "model_id": ("modelid", "modelidentifier", "model", "devicemodel"),
    "hardware_version": ("hardwareversion", "hwversion", "hardware", "hw"),
    "firmware_version": ("firmwareversion", "fwversion", "firmware", "fw"),
    "smets_generation": ("smetsgeneration", "generation", "smetsgen"),
    "smets_chts_version": ("smetschtsversion", "smetsversion", "chtsversion", "technicalspecificationversion"),
    "gbcs_version": ("gbcsversion", "gbcs"),
    "status": ("status", "cplstatus", "entrystatus"),
    "image_hash": ("manufacturerimagehash", "imagehash", "hash", "firmwarehash"),
    "date_added": ("dateadded", "added", "dateofentry", "date"),
}
REQUIRED_FIELDS = ("device_type", "manufacturer_id", "model_id", "firmware_version")
_ALIAS_TO_FIELD = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
_NORMALISE = re.compile(r"[^a-z0-9]")
_STATUS = {s.value.lower(): s for s in CplStatus}
_TYPES = {t.value: t for t in DeviceType}
# Type 2 devices (IHD, CAD) may have no firmware version on the CPL.
_FIRMWARE_OPTIONAL = {DeviceType.IHD, DeviceType.CAD}


class CplHeaderError(DomainInputError):
    """No row of the file looks like a CPL header."""


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Column index for each known field, plus the names of the extra columns kept as they are."""

    fields: dict[str, int]
    extras: dict[str, int]
    has_status_column: bool


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    message: str

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "message": self.message}


def normalise_header(text: object) -> str:
    return _NORMALISE.sub("", str(text or "").lower())


def map_header(row: Sequence[object]) -> HeaderMap | None:
    """Map a candidate header row; None unless it names every required field."""
    fields: dict[str, int] = {}
    extras: dict[str, int] = {}
    for index, cell in enumerate(row):
        key = normalise_header(cell)
        if not key:
            continue
        name = _ALIAS_TO_FIELD.get(key)
        if name is not None and name not in fields:
            fields[name] = index
        else:
            extras[str(cell).strip()] = index
    if not all(f in fields for f in REQUIRED_FIELDS):
        return None
    return HeaderMap(fields=fields, extras=extras, has_status_column="status" in fields)


def find_header(rows: Sequence[Sequence[object]], limit: int = 30) -> tuple[int, HeaderMap]:
    """Return (index, mapping) of the first header-like row among the first ``limit`` rows."""
    for index, row in enumerate(rows[:limit]):
        mapping = map_header(row)
        if mapping is not None:
            return index, mapping
    wanted = ", ".join(n.replace("_", " ").title() for n in REQUIRED_FIELDS)
    raise CplHeaderError(f"no header row found: a CPL file needs columns for {wanted}")


def _cell(row: Sequence[object], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    value = row[index]
    return "" if value is None else str(value).strip()


# Column order of ``row_values`` tuples; the store inserts them as they are.
VALUE_COLUMNS = (
    "device_type",
    "manufacturer_id",
    "manufacturer_name",
    "model_id",
    "hardware_version",
    "firmware_version",
    "smets_generation",
    "smets_chts_version",
    "gbcs_version",
    "status",
    "image_hash",
    "date_added",
    "source_line",
    "extra_json",
)
RowValues = tuple[str, str, str, str, str, str, str | None, str, str, str, str, str, int, str]


def row_values(row: Sequence[object], header: HeaderMap, line: int) -> RowValues | RowProblem:
    """Validate one data row into insert-ready values (the import's hot path: no objects built)."""
    f = header.fields

    def cell(name: str) -> str:
        index = f.get(name)
        if index is None or index >= len(row):
            return ""
        value = row[index]
        return "" if value is None else str(value).strip()

    raw_type = cell("device_type").upper().replace(" ", "")
    if not raw_type:
        return RowProblem(line, "Device Type is empty")
    device_type = _TYPES.get(raw_type)
    if device_type is None:
        return RowProblem(line, f"Device Type {raw_type!r} is not one of {', '.join(_TYPES)}")
    manufacturer_id = cell("manufacturer_id").upper()
    if not manufacturer_id:
        return RowProblem(line, "Manufacturer ID is empty")
    model_id = cell("model_id").upper()
    if not model_id:
        return RowProblem(line, "Model ID is empty")
    firmware = cell("firmware_version").upper()
    if not firmware and device_type not in _FIRMWARE_OPTIONAL:
        return RowProblem(line, "Firmware Version is empty")
    status = CplStatus.ACTIVE
    if header.has_status_column:
        raw_status = cell("status")
        found = _STATUS.get(raw_status.lower())
        if found is None:
            allowed = ", ".join(s.value for s in CplStatus)
            return RowProblem(line, f"Status {raw_status!r} is not one of {allowed}")
        status = found
    raw_generation = cell("smets_generation")
    generation = None
    if raw_generation:
        try:
            parsed = parse_generation(raw_generation)
        except DomainInputError as exc:
            return RowProblem(line, f"SMETS Generation: {exc}")
        generation = parsed.value if parsed else None
    extra = ""
    if header.extras:
        kept = {name: _cell(row, idx) for name, idx in header.extras.items() if _cell(row, idx)}
        extra = json.dumps(kept, ensure_ascii=False) if kept else ""
    return (
        device_type.value,
        manufacturer_id,
        cell("manufacturer_name"),
        model_id,
        cell("hardware_version").upper(),
        firmware,
        generation,
        cell("smets_chts_version"),
        cell("gbcs_version"),
        status.value,
        cell("image_hash"),
        cell("date_added"),
        line,
        extra,
    )


def entry_from_values(values: Sequence[object]) -> CplEntry:
    """Rebuild a CplEntry from a stored row in VALUE_COLUMNS order."""
    (dtype, mfr, mfr_name, model, hw, fw, gen, smets_v, gbcs, status, img, added, line, extra) = values
    return CplEntry(
        device_type=DeviceType(str(dtype)),
        manufacturer_id=str(mfr),
        manufacturer_name=str(mfr_name or ""),
        model_id=str(model),
        hardware_version=str(hw or ""),
        firmware_version=str(fw or ""),
        smets_generation=parse_generation(str(gen)) if gen else None,
        smets_chts_version=str(smets_v or ""),
        gbcs_version=str(gbcs or ""),
        status=CplStatus(str(status)),
        image_hash=str(img or ""),
        date_added=str(added or ""),
        source_line=int(str(line)) if line is not None else None,
        extra=json.loads(str(extra)) if extra else {},
    )


def row_to_entry(row: Sequence[object], header: HeaderMap, line: int) -> CplEntry | RowProblem:
    """Convert one data row into a CplEntry, or say what could not be read."""
    values = row_values(row, header, line)
    if isinstance(values, RowProblem):
        return values
    return entry_from_values(values)
