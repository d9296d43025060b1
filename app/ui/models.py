"""The window's item models: jobs, verdict reasons, matched CPL entries, the queue.

Each follows ``RowTableModel``'s template and is fed whole lists of plain dataclasses
that a worker produced; none of them touches the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt

from app.ui.levels import severity_icon, severity_look
from app.ui.table_model import RowTableModel

if TYPE_CHECKING:  # types only: the domain loads with the first verdict, after the first paint
    from app.domain.devices import CplEntry
    from app.domain.reasons import Severity
    from app.domain.rules import Verdict

_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_USER = Qt.ItemDataRole.UserRole


class JobRow(NamedTuple):
    job_ref: str
    postcode: str
    visit_date: str
    address: str
    mpxn: str
    device_ids: tuple[str, ...]
    #: ``to_do``, ``recorded``, ``aborted``, ``synced`` or ``withdrawn`` ("" while not known).
    state: str = ""


#: How each job state reads in the list (whole words, for translation later).
JOB_STATE_WORDS = {
    "to_do": QT_TRANSLATE_NOOP("JobsModel", "To do"),
    "recorded": QT_TRANSLATE_NOOP("JobsModel", "Recorded"),
    "aborted": QT_TRANSLATE_NOOP("JobsModel", "Aborted"),
    "synced": QT_TRANSLATE_NOOP("JobsModel", "Synced"),
    "withdrawn": QT_TRANSLATE_NOOP("JobsModel", "Withdrawn"),
}


class JobsModel(RowTableModel[JobRow]):
    CONTEXT = "JobsModel"
    COL_REF, COL_POSTCODE, COL_DATE, COL_ADDRESS, COL_STATE = range(5)
    HEADERS = (
        QT_TRANSLATE_NOOP("JobsModel", "Job"),
        QT_TRANSLATE_NOOP("JobsModel", "Postcode"),
        QT_TRANSLATE_NOOP("JobsModel", "Visit date"),
        QT_TRANSLATE_NOOP("JobsModel", "Address"),
        QT_TRANSLATE_NOOP("JobsModel", "State"),
    )

    def cell(self, row: JobRow, column: int, role: int) -> Any:
        if role in (_DISPLAY, _TOOLTIP, _ACCESSIBLE):
            if column == self.COL_STATE:
                word = JOB_STATE_WORDS.get(row.state)
                return QCoreApplication.translate(self.CONTEXT, str(word)) if word else ""
            return (row.job_ref, row.postcode, row.visit_date, row.address)[column]
        if role == _USER:
            return row.job_ref
        return None

    def find(self, job_ref: str) -> int:
        for number, row in enumerate(self._rows):
            if row.job_ref == job_ref:
                return number
        return -1


class ReasonRow(NamedTuple):
    severity: Severity
    code: str
    message: str
    what_to_do: str


def reason_rows(verdict: Verdict, nothing_to_do: str) -> list[ReasonRow]:
    """The domain's pairing of reasons with remedies (``app.domain.catalogue``), as table rows.

    Each message is translated here from its catalogue template and filled again with
    the same values; with no translation loaded that is the English the rules wrote.
    """
    from app.domain.catalogue import fill, pair_reasons_with_remedies

    rows: list[ReasonRow] = []
    for line in pair_reasons_with_remedies(verdict):
        message = (
            fill(QCoreApplication.translate("Reason", line.template), *line.values) if line.template else line.message
        )
        text = "\n".join(f"• {description}" for description in line.remedies) or nothing_to_do
        rows.append(ReasonRow(line.severity, line.code, message, text))
    return rows


class ReasonsModel(RowTableModel[ReasonRow]):
    CONTEXT = "ReasonsModel"
    COL_SEVERITY, COL_MESSAGE, COL_TODO = range(3)
    HEADERS = (
        QT_TRANSLATE_NOOP("ReasonsModel", "Level"),
        QT_TRANSLATE_NOOP("ReasonsModel", "What was found"),
        QT_TRANSLATE_NOOP("ReasonsModel", "What to do"),
    )

    def cell(self, row: ReasonRow, column: int, role: int) -> Any:
        if column == self.COL_SEVERITY:
            if role in (_DISPLAY, _ACCESSIBLE):
                return severity_look(row.severity).word
            if role == _DECORATION:
                return severity_icon(row.severity, 28)
            if role == _TOOLTIP:
                return row.code
        elif role in (_DISPLAY, _TOOLTIP, _ACCESSIBLE):
            return row.message if column == self.COL_MESSAGE else row.what_to_do
        if role == _USER:
            return row.code
        return None


class CplRow(NamedTuple):
    role: str
    entry: CplEntry


class CplEntriesModel(RowTableModel[CplRow]):
    CONTEXT = "CplEntriesModel"
    COL_ROLE, COL_MANUFACTURER, COL_MODEL, COL_HARDWARE, COL_FIRMWARE, COL_GENERATION, COL_STATUS = range(7)
    HEADERS = (
        QT_TRANSLATE_NOOP("CplEntriesModel", "Device"),
        QT_TRANSLATE_NOOP("CplEntriesModel", "Manufacturer"),
        QT_TRANSLATE_NOOP("CplEntriesModel", "Model"),
        QT_TRANSLATE_NOOP("CplEntriesModel", "Hardware"),
        QT_TRANSLATE_NOOP("CplEntriesModel", "Firmware"),
        QT_TRANSLATE_NOOP("CplEntriesModel", "Generation"),
        QT_TRANSLATE_NOOP("CplEntriesModel", "Status"),
    )

    def cell(self, row: CplRow, column: int, role: int) -> Any:
        if role not in (_DISPLAY, _TOOLTIP, _ACCESSIBLE):
            return None
        e = row.entry
        maker = f"{e.manufacturer_name} ({e.manufacturer_id})" if e.manufacturer_name else e.manufacturer_id
        generation = e.generation.value if e.generation else "?"
        values = (row.role, maker, e.model_id, e.hardware_version or "—", e.firmware_version, generation,
                  str(getattr(e.status, "value", e.status)))
        return values[column]


class QueueRow(NamedTuple):
    """One queued Service Request as the queue pane shows it (whatever the outbox's own type)."""

    key: str
    srv: str
    name: str
    target: str
    state: str
    last_error: str
    job_ref: str
    created: str
    #: The visit the request belongs to ("" for requests queued outside a visit).
    install_id: str = ""
    #: The DCC's response code once it answered ("" before); ``last_error`` words it for a failure.
    response_code: str = ""


class QueueModel(RowTableModel[QueueRow]):
    CONTEXT = "QueueModel"
    COL_SRV, COL_NAME, COL_TARGET, COL_STATE, COL_ERROR, COL_JOB, COL_CREATED = range(7)
    HEADERS = (
        QT_TRANSLATE_NOOP("QueueModel", "SRV"),
        QT_TRANSLATE_NOOP("QueueModel", "Request"),
        QT_TRANSLATE_NOOP("QueueModel", "Target"),
        QT_TRANSLATE_NOOP("QueueModel", "State"),
        QT_TRANSLATE_NOOP("QueueModel", "Last error"),
        QT_TRANSLATE_NOOP("QueueModel", "Job"),
        QT_TRANSLATE_NOOP("QueueModel", "Queued at"),
    )

    def cell(self, row: QueueRow, column: int, role: int) -> Any:
        if role in (_DISPLAY, _TOOLTIP, _ACCESSIBLE):
            return (row.srv, row.name, row.target, row.state, row.last_error or "—", row.job_ref, row.created)[column]
        if role == _USER:
            return row.key
        return None
