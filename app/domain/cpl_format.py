"""CPL file rows → CplEntry: header-driven, because the published layout is not fixed.

Headers are matched case- and space-insensitively against aliases; unknown columns are
kept in ``extra``; a row that cannot be read becomes a RowProblem with its line number
while the rest of the file imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter

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
# Columns kept with the entry (in ``extra``, as the file names them) and also shown as the
# entry's own fields. Neither header is published anywhere HubCheck could read, so these
# are aliases by analogy, matched like the others (case, spaces and punctuation ignored).
CPL_ENTRY_ID_ALIASES = (
    "cplentryid", "cplentryidentifier", "cplentryreference", "cplentryref", "cplentrynumber",
    "cplentryno", "entryid", "entryreference", "entryref", "cplid", "cplreference", "cplref",
)
# MP231: the entries of earlier firmware this entry may be upgraded from (a list in one cell).
UPGRADES_FROM_ALIASES = (
    "upgradesfrom", "upgradefrom", "upgradesfromcplentryids", "upgradesfromcplentryid",
    "upgradesfromentryids", "upgradesfromentryid", "upgradefromcplentryids", "upgradefromcplentryid",
    "upgradefromentryids", "upgradefromentryid", "upgradablefrom", "upgradeablefrom", "validupgradefrom",
    "validupgradesfrom", "upgradepathfrom", "permittedupgradefrom", "permittedupgradesfrom",
    "upgradesfromfirmware", "upgradefromfirmware", "upgradesfromfirmwareversions",
)
_ENTRY_ID_KEYS = frozenset(CPL_ENTRY_ID_ALIASES)
_UPGRADES_KEYS = frozenset(UPGRADES_FROM_ALIASES)
_LIST_SEPARATORS = re.compile(r"[,;|\s]+")
_ALIAS_TO_FIELD = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
_NORMALISE = re.compile(r"[^a-z0-9]")
_STATUS = {s.value.lower(): s.value for s in CplStatus}
_TYPES = {t.value: t.value for t in DeviceType}
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
    if value is None:
        return ""
    return _number_text(value).strip() if _is_number(value) else str(value).strip()


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


RowReader = Callable[[list[object], int], "RowValues | RowProblem | None"]

#: Columns that hold hex text (identifiers, versions, the image hash). A spreadsheet that
#: stored one as a number has lost its hex text for good: ``10E0`` became 10 (read as an
#: exponent), ``00090100`` became 90100 (leading zeros dropped). Nothing tells the number
#: back into the text the CPL published, so such a row is rejected, never imported altered.
HEX_FIELDS = ("manufacturer_id", "model_id", "hardware_version", "firmware_version", "image_hash")
_FIELD_TITLES = {
    "manufacturer_id": "Manufacturer ID",
    "model_id": "Model ID",
    "hardware_version": "Hardware Version",
    "firmware_version": "Firmware Version",
    "image_hash": "Manufacturer Image Hash",
}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def lost_hex_text_message(cells: Sequence[tuple[str, object]]) -> str:
    """Why a row whose hex cells the spreadsheet turned into numbers is rejected (one sentence)."""
    named = [f"{_FIELD_TITLES[name]} ({_number_text(value)})" for name, value in cells]
    which = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    if len(named) == 1:
        what = f"{which} is a number, not text: the cell lost its hex text"
    else:
        what = f"{which} are numbers, not text: the cells lost their hex text"
    return (
        f"{what} in the spreadsheet (leading zeros dropped, or an E read as an exponent), so the row is not "
        "imported; format the column as Text, enter the values as the CPL publishes them and import again"
    )

# The fields a row reader extracts, in VALUE_COLUMNS order (the rest are added by the reader).
_FIELD_ORDER = VALUE_COLUMNS[:12]
_HEX_POSITIONS = tuple(_FIELD_ORDER.index(name) for name in HEX_FIELDS)
_GENERATION_MEMO: dict[str, str | None] = {}


def _generation_value(raw: str) -> str | None:
    """Memoised: a CPL repeats the same few generation spellings on every row."""
    try:
        return _GENERATION_MEMO[raw]
    except KeyError:
        parsed = parse_generation(raw)
        value = parsed.value if parsed else None
        if len(_GENERATION_MEMO) < 256:
            _GENERATION_MEMO[raw] = value
        return value


def make_row_reader(header: HeaderMap) -> RowReader:
    """Build the per-row validator for one file's header (the import's hot path).

    Column positions are resolved once into an ``itemgetter`` so a row costs a handful of
    C-level operations; absent optional columns read from a blank cell appended to the row.
    Returns None for a blank row, a RowProblem for a bad one, insert-ready values otherwise.
    """
    indices = tuple(header.fields.get(name, -1) for name in _FIELD_ORDER)
    width = max(i for i in indices) + 1
    getter = itemgetter(*indices)
    extras = tuple(header.extras.items())
    has_status = header.has_status_column
    types, statuses = _TYPES, _STATUS
    firmware_optional = {t.value for t in _FIRMWARE_OPTIONAL}

    pad = -1 in indices
    strip = str.strip

    def read(row: list[object], line: int) -> RowValues | RowProblem | None:
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        if pad:
            row.append("")
        try:
            cells = list(map(strip, getter(row)))
        except TypeError:  # spreadsheet cells: numbers, dates, None
            raw = getter(row)
            numbers = [i for i in _HEX_POSITIONS if _is_number(raw[i])]
            cells = ["" if c is None else str(c).strip() for c in raw]
            if numbers:
                return RowProblem(line, lost_hex_text_message([(_FIELD_ORDER[i], raw[i]) for i in numbers]))
        finally:
            if pad:
                row.pop()
        (dtype_raw, mfr, mfr_name, model, hw, fw, gen_raw, smets_v, gbcs, status_raw, img, added) = cells
        dtype = types.get(dtype_raw)
        if dtype is None:
            if not any(cells):
                return None
            dtype = types.get(dtype_raw.upper().replace(" ", ""))
        if dtype is None:
            if not dtype_raw:
                return RowProblem(line, "Device Type is empty")
            return RowProblem(line, f"Device Type {dtype_raw!r} is not one of {', '.join(types)}")
        if not mfr:
            return RowProblem(line, "Manufacturer ID is empty")
        if not model:
            return RowProblem(line, "Model ID is empty")
        if not fw and dtype not in firmware_optional:
            return RowProblem(line, "Firmware Version is empty")
        status = "Active"
        if has_status:
            found = statuses.get(status_raw.lower())
            if found is None:
                allowed = ", ".join(s.value for s in CplStatus)
                return RowProblem(line, f"Status {status_raw!r} is not one of {allowed}")
            status = found
        generation = None
        if gen_raw:
            try:
                generation = _generation_value(gen_raw)
            except DomainInputError as exc:
                return RowProblem(line, f"SMETS Generation: {exc}")
        extra = ""
        if extras:
            kept = {name: value for name, idx in extras if (value := _cell(row, idx))}
            extra = json.dumps(kept, ensure_ascii=False) if kept else ""
        return (dtype, mfr.upper(), mfr_name, model.upper(), hw.upper(), fw.upper(), generation, smets_v, gbcs,
                status, img, added, line, extra)

    return read


def row_values(row: Sequence[object], header: HeaderMap, line: int) -> RowValues | RowProblem:
    """Validate one data row into insert-ready values (a blank row is a problem here)."""
    result = make_row_reader(header)(list(row), line)
    if result is None:
        return RowProblem(line, "the row is empty")
    return result


def entry_references(extra: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """(CPL Entry ID, the IDs it upgrades from) read from an entry's kept columns.

    The upgrade list is one cell: IDs separated by commas, semicolons, bars or spaces.
    """
    entry_id = ""
    upgrades: list[str] = []
    for name, value in extra.items():
        key = normalise_header(name)
        if key in _ENTRY_ID_KEYS and not entry_id:
            entry_id = value.strip()
        elif key in _UPGRADES_KEYS:
            for part in _LIST_SEPARATORS.split(value):
                if part and part not in upgrades:
                    upgrades.append(part)
    return entry_id, tuple(upgrades)


def entry_from_values(values: Sequence[object]) -> CplEntry:
    """Rebuild a CplEntry from a stored row in VALUE_COLUMNS order."""
    (dtype, mfr, mfr_name, model, hw, fw, gen, smets_v, gbcs, status, img, added, line, extra) = values
    kept: dict[str, str] = json.loads(str(extra)) if extra else {}
    entry_id, upgrades = entry_references(kept) if kept else ("", ())
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
        extra=kept,
        cpl_entry_id=entry_id,
        upgrades_from=upgrades,
    )


def row_to_entry(row: Sequence[object], header: HeaderMap, line: int) -> CplEntry | RowProblem:
    """Convert one data row into a CplEntry, or say what could not be read."""
    values = row_values(row, header, line)
    if isinstance(values, RowProblem):
        return values
    return entry_from_values(values)


# --- the date a CPL file states ---------------------------------------------------------------------

_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_YEAR = r"(?:19|20)\d{2}"
_ORDINAL = r"(?:st|nd|rd|th)?"
# Full dates only (a month and year alone is not a day): ISO (2026-10-01, 2026_10_01), compact
# (20261001), day first as written in GB (01/10/2026, 1.10.2026) and with a month name
# (1 October 2026, 1st Oct 2026, October 1, 2026).
_DATE_RE = re.compile(
    rf"""(?<![0-9])(?:
        (?P<iy>{_YEAR})[-/._ ](?P<im>\d{{1,2}})[-/._ ](?P<id>\d{{1,2}})
      | (?P<cy>20\d{{2}})(?P<cm>\d{{2}})(?P<cd>\d{{2}})
      | (?P<ud>\d{{1,2}})[-/._ ](?P<um>\d{{1,2}})[-/._ ](?P<uy>{_YEAR})
      | (?P<td>\d{{1,2}}){_ORDINAL}[-\s]+(?P<tm>{_MONTH})\.?[-\s,]+(?P<ty>{_YEAR})
      | \b(?P<sm>{_MONTH})\.?\s+(?P<sd>\d{{1,2}}){_ORDINAL},?\s+(?P<sy>{_YEAR})
    )(?![0-9])""",
    re.IGNORECASE | re.VERBOSE,
)
# Where an import's file date came from: stated in the file (its title rows or its name),
# or the file system's modification time because the file states none.
DATE_FROM_FILE = "file"
DATE_MODIFIED = "modified"
# Words that mark a title row as the one giving the list's date ("Published 1 October 2026").
_DATE_WORDS = re.compile(r"publish|dated?\b|issued?|as (?:at|of)|effective|updated|release|version", re.IGNORECASE)


def _month_number(name: str) -> int:
    name = name.lower()
    return next(i for i, full in enumerate(_MONTH_NAMES, start=1) if full.startswith(name[:3]))


def date_in_text(text: str) -> date | None:
    """The first full, real calendar date written in ``text``, or None.

    A match that is not a real day (31/02/2026) is passed over and the search goes on.
    """
    position = 0
    while (match := _DATE_RE.search(text, position)) is not None:
        g = match.groupdict()
        try:
            if g["iy"]:
                found = date(int(g["iy"]), int(g["im"]), int(g["id"]))
            elif g["cy"]:
                found = date(int(g["cy"]), int(g["cm"]), int(g["cd"]))
            elif g["uy"]:
                found = date(int(g["uy"]), int(g["um"]), int(g["ud"]))
            elif g["ty"]:
                found = date(int(g["ty"]), _month_number(g["tm"]), int(g["td"]))
            else:
                found = date(int(g["sy"]), _month_number(g["sm"]), int(g["sd"]))
        except ValueError:
            position = match.start() + 1
            continue
        return found
    return None


def _date_in_row(row: Sequence[object]) -> date | None:
    for cell in row:
        if isinstance(cell, datetime):  # a spreadsheet date cell
            return cell.date()
        if isinstance(cell, date):
            return cell
    return date_in_text(" ".join(str(c) for c in row if c is not None))


def stated_file_date(title_rows: Sequence[Sequence[object]], file_name: str) -> date | None:
    """The date a CPL states for itself: in the rows above its header, else in its file name.

    A title row that says what its date is ("Published", "Date", "Issued", "Version", …)
    wins over one that merely holds a date; None when the file states no full date, in
    which case the caller falls back to the file's modification time and says so.
    """
    undated: date | None = None
    for row in title_rows:
        found = _date_in_row(row)
        if found is None:
            continue
        if _DATE_WORDS.search(" ".join(str(c) for c in row if c is not None)):
            return found
        undated = undated or found
    if undated is not None:
        return undated
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    return date_in_text(stem)
