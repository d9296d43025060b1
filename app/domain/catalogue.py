"""Every installer-facing text of HubCheck's domain, in one place, keyed by code.

Why one catalogue: the same words (a reason's message, the remedies that answer it, a
verdict level's word and headline, a Service Request's name) were spread over the rules,
the window's models and the queue pane, and some sentences were glued together from
fragments. A Welsh translation (or a support engineer reading a screenshot) needs each
sentence whole, once, with its values marked by number.

Sentences are templates with numbered placeholders ``%1``, ``%2``… (Qt's convention, so
a translator may reorder them) filled by :func:`fill`, never joined from pieces. Literals
are wrapped in ``QT_TRANSLATE_NOOP`` (a pure-Python stand-in here) so translation tools
find them; the window translates a template at display time and fills it again with the
same values.

Keys are plain strings equal to the enums' values (``ReasonCode``, ``RemedyAction``,
``Level``, ``Severity`` are ``StrEnum``\\s, so an enum member looks up its own entry):
the window reads the level words before its first paint, when ``app.domain.reasons`` is
not loaded yet, so this module imports nothing of the domain at run time and costs a few
dictionaries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from app.domain.reasons import Severity
    from app.domain.rules import Verdict


# The level and severity words are part of this catalogue (see app.domain.level_words).
from app.domain.level_words import LEVELS, QT_TRANSLATE_NOOP, SEVERITY_WORDS, LevelText  # noqa: F401

_PLACEHOLDER = re.compile(r"%([1-9][0-9]?)")


def fill(template: str, *values: object) -> str:
    """Put ``values`` into ``template``'s ``%1``…``%99`` in one pass.

    Like ``QString.arg`` with several arguments: a value that itself contains ``%2`` is
    not filled again, and the numbers may come in any order (a translation may move
    them). A placeholder with no value is left as written, so a faulty translation shows
    its mistake instead of crashing the window.
    """
    texts = [str(v) for v in values]

    def one(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return texts[number - 1] if number <= len(texts) else match.group(0)

    return _PLACEHOLDER.sub(one, template)


def placeholders(template: str) -> set[int]:
    """The placeholder numbers a template uses (for checks of the catalogue and translations)."""
    return {int(n) for n in _PLACEHOLDER.findall(template)}


# --- Reasons ----------------------------------------------------------------------------

_R = "Reason"


class Sentence(NamedTuple):
    """One whole sentence: its template and which facts fill ``%1``, ``%2``… in that order."""

    template: str
    facts: tuple[str, ...] = ()

    def render(self, facts: Mapping[str, object]) -> tuple[str, tuple[str, ...]]:
        """(English text, the values in placeholder order) for these facts."""
        values = tuple(str(facts[name]) for name in self.facts)
        return fill(self.template, *values), values


class ReasonEntry(NamedTuple):
    """What the catalogue holds for one reason code.

    ``variants`` are whole alternative sentences picked by ``make_reason``'s ``variant``
    fact (e.g. the hub's or the PPMID's wording) instead of a fragment put into one
    sentence. ``remedies`` are the ``RemedyAction`` values that answer this reason: the
    window shows them beside it.
    """

    sentence: Sentence
    remedies: tuple[str, ...] = ()
    variants: tuple[tuple[str, Sentence], ...] = ()

    def sentence_for(self, variant: str = "") -> Sentence:
        for name, sentence in self.variants:
            if name == variant:
                return sentence
        if variant:
            raise KeyError(f"no {variant!r} wording for this reason")
        return self.sentence


# RemedyAction values (kept as text: see the module docstring).
FIT_MATCHING_PPMID = "fit_ppmid_prenotified_for_hub_generation"
QUEUE_UPDATE_INVENTORY = "queue_update_inventory"
FIT_COMPATIBLE_MODEL = "fit_compatible_ppmid_model"
CONTACT_BACK_OFFICE = "contact_back_office"
RESCAN_INSTALL_CODE = "rescan_install_code"
RESCAN_DEVICE = "rescan_device"
UPDATE_LOCAL_CPL = "update_local_cpl"
CONFIRM_HUB_GENERATION = "confirm_hub_generation"
IMPORT_JOB_PACK = "import_job_pack"

_HUB_TYPE = QT_TRANSLATE_NOOP(_R, "The scanned hub %1 is recorded as a %2, not a CHF (Communications Hub Function).")
_HUB_UNTYPED = QT_TRANSLATE_NOOP(
    _R, "The scanned hub %1 is recorded as a device of unknown type, not a CHF (Communications Hub Function)."
)

REASONS: dict[str, ReasonEntry] = {
    "NOT_PRENOTIFIED": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(_R, "PPMID %1 is in no job pack or inventory record: it was not pre-notified."),
            ("device_id",),
        ),
        (IMPORT_JOB_PACK, CONTACT_BACK_OFFICE),
    ),
    "WRONG_DEVICE_TYPE": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(_R, "The scanned PPMID %1 is recorded as a %2, not a PPMID."), ("device_id", "actual")
        ),
        (RESCAN_DEVICE,),
        variants=(
            (
                "ppmid_untyped",
                Sentence(
                    QT_TRANSLATE_NOOP(_R, "The scanned PPMID %1 is recorded as a device of unknown type, not a PPMID."),
                    ("device_id",),
                ),
            ),
            ("hub", Sentence(_HUB_TYPE, ("device_id", "actual"))),
            ("hub_untyped", Sentence(_HUB_UNTYPED, ("device_id",))),
        ),
    ),
    "NOT_ON_CPL": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "The pre-notified model (manufacturer %1, model %2, hardware %3, firmware %4) matches no entry "
                "in the local CPL.",
            ),
            ("manufacturer_id", "model_id", "hardware", "firmware_version"),
        ),
        (CONTACT_BACK_OFFICE, UPDATE_LOCAL_CPL),
        variants=(
            (
                "any_hardware",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R,
                        "The pre-notified model (manufacturer %1, model %2, hardware any, firmware %3) matches no "
                        "entry in the local CPL.",
                    ),
                    ("manufacturer_id", "model_id", "firmware_version"),
                ),
            ),
        ),
    ),
    "CPL_STATUS": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(_R, "The CPL entry for firmware %1 is %2, not Active."), ("firmware_version", "status")
        ),
        (FIT_COMPATIBLE_MODEL,),
        variants=(
            (
                "resulting",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R,
                        "Under MP202 the PPMID becomes %1, and the CPL's %1 entry for firmware %2 is %3, not Active.",
                    ),
                    ("generation", "firmware_version", "status"),
                ),
            ),
            (
                "dcc",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R,
                        "The DCC's inventory says this PPMID's CPL status is %1 and its firmware status %2, not "
                        "Active; the DCC's word is newer than the local CPL copy.",
                    ),
                    ("cpl_status", "firmware_status"),
                ),
            ),
        ),
    ),
    "SMETS_MISMATCH": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "The PPMID was pre-notified as %1 but the hub is %2. Under the tactical regime it could never be "
                "the target of a Service Request after joining this hub.",
            ),
            ("prenotified", "hub"),
        ),
        (FIT_MATCHING_PPMID, QUEUE_UPDATE_INVENTORY),
    ),
    "NOT_COMPATIBLE": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R, "This PPMID model has no CPL entry for %1 systems, so it cannot work with a %1 hub."
            ),
            ("hub",),
        ),
        (FIT_COMPATIBLE_MODEL,),
    ),
    "INSTALL_CODE_CRC": ReasonEntry(
        Sentence(QT_TRANSLATE_NOOP(_R, "The PPMID's install code is not valid: %1"), ("problem",)),
        (RESCAN_INSTALL_CODE,),
        variants=(
            ("PPMID", Sentence(QT_TRANSLATE_NOOP(_R, "The PPMID's install code is not valid: %1"), ("problem",))),
            ("hub", Sentence(QT_TRANSLATE_NOOP(_R, "The hub's install code is not valid: %1"), ("problem",))),
        ),
    ),
    "INSTALL_CODE_MISSING": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "PPMID %1's label gave no install code and no job pack carries one: the 8.11 that adds the PPMID "
                "to the hub's whitelist cannot be queued without it.",
            ),
            ("device_id",),
        ),
        (RESCAN_INSTALL_CODE, CONTACT_BACK_OFFICE),
    ),
    "INSTALL_CODE_MISMATCH": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "The install code on PPMID %1's label differs from the one job pack %2 carries for it: the PPMID "
                "in hand may not be the one the job lists.",
            ),
            ("device_id", "job_ref"),
        ),
        (RESCAN_INSTALL_CODE, CONTACT_BACK_OFFICE),
    ),
    "HUB_NOT_ON_CPL": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "The hub's model (manufacturer %1, model %2, firmware %3) is not in the local CPL; the local "
                "copy may be older than the DCC's.",
            ),
            ("manufacturer_id", "model_id", "firmware_version"),
        ),
        (UPDATE_LOCAL_CPL,),
    ),
    "HUB_UNKNOWN": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(_R, "Hub %1 is not in the local data and its SMETS generation was not given."),
            ("device_id",),
        ),
        (CONFIRM_HUB_GENERATION,),
    ),
    "RESULTING_DIFFERS": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "Under MP202 the PPMID becomes %1 (it was pre-notified as %2); the DCC updates the inventory "
                "itself.",
            ),
            ("resulting", "prenotified"),
        ),
    ),
    "DATA_INCONSISTENT": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(_R, "The job pack says %1 but the CPL entry that firmware %2 matches is %3."),
            ("stated", "firmware_version", "cpl"),
        ),
        (CONTACT_BACK_OFFICE,),
        variants=(
            (
                "hub",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R,
                        "Hub %1: %2 says %3 but its CPL entry (firmware %4) is %5; %3, from %2, is used.",
                    ),
                    ("device_id", "source", "stated", "firmware_version", "cpl"),
                ),
            ),
            (
                "hub_dcc",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R, "Hub %1: %2 says %3 but the DCC's inventory says %4; the DCC's %4 is used."
                    ),
                    ("device_id", "source", "stated", "dcc"),
                ),
            ),
        ),
    ),
    "S1_FW_UPGRADE": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R, "The PPMID will be SMETS1: firmware upgrades aimed at it may fail (S1SR 18.63–18.65)."
            )
        ),
        variants=(
            (
                "mp202",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R,
                        "The PPMID will be SMETS1: firmware upgrades aimed at it may fail (S1SR 18.63–18.65); "
                        "under MP202 over-the-air updates are not offered for SMETS1-enrolled PPMIDs.",
                    )
                ),
            ),
        ),
    ),
    "S1_FW_READBACK": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "Pre-notified with the SMETS1 (fictitious) firmware version and the site's SMETS1 cohort is not "
                "known: if it is FOC, a firmware read may return the real running version, which will not match "
                "the SMETS1 CPL entry (S1SR 18.64(c)).",
            )
        ),
        variants=(
            (
                "foc",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R,
                        "Pre-notified with the SMETS1 (fictitious) firmware version at an FOC site (%1): a firmware "
                        "read may return the real running version, which will not match the SMETS1 CPL entry "
                        "(S1SR 18.64(c)).",
                    ),
                    ("s1sp",),
                ),
            ),
        ),
    ),
    "PRENOTIFIED_GENERATION_UNKNOWN": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "The CPL holds several entries for firmware %1 and the job pack does not say which generation "
                "was pre-notified.",
            ),
            ("firmware_version",),
        ),
        (CONTACT_BACK_OFFICE,),
    ),
    "HUB_GENERATION_FROM_INSTALLER": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R, "Hub %1 is not in the local data; its generation (%2) is the one the installer gave."
            ),
            ("device_id", "hub"),
        ),
    ),
    "SAME_DEVICE": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(_R, "The same device ID %1 was scanned for the PPMID and the hub."), ("device_id",)
        ),
        (RESCAN_DEVICE,),
    ),
    "CPL_GENERATION_UNKNOWN": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "Neither the CPL entry for firmware %1 nor the job pack says which SMETS generation the PPMID was "
                "pre-notified as, so the pairing cannot be confirmed.",
            ),
            ("firmware_version",),
        ),
        (CONTACT_BACK_OFFICE,),
    ),
    "RESULTING_ENTRY_MISSING": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "Under MP202 the DCC will look for this PPMID model's %1 CPL entry at firmware %2, and the local "
                "CPL has none (its %1 entries are for firmware %3).",
            ),
            ("generation", "firmware_version", "other_firmware"),
        ),
        (CONTACT_BACK_OFFICE, UPDATE_LOCAL_CPL),
    ),
    "PRENOTIFICATION_CONFLICT": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R, "PPMID %1 is described differently by %2 and by %3 (%4): it is not known which is right."
            ),
            ("device_id", "first", "second", "differences"),
        ),
        (CONTACT_BACK_OFFICE,),
        variants=(
            (
                "hub",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R,
                        "Hub %1 is described differently by %2 and by %3 (%4), and no DCC inventory record "
                        "settles it.",
                    ),
                    ("device_id", "first", "second", "differences"),
                ),
            ),
        ),
    ),
    "HUB_GENERATION_CONFLICT": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "The installer gave %1 for hub %2, but %3 says %4; %4 is used and the installer's %1 is kept "
                "with the visit.",
            ),
            ("given", "device_id", "source", "hub"),
        ),
        (CONFIRM_HUB_GENERATION,),
    ),
    "HUB_CPL_STATUS": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(_R, "The hub's CPL entry (firmware %1) is %2, not Active."),
            ("firmware_version", "status"),
        ),
        (CONTACT_BACK_OFFICE,),
        variants=(
            (
                "dcc",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R,
                        "The DCC's inventory says the hub's CPL status is %1 and its firmware status %2, not Active.",
                    ),
                    ("cpl_status", "firmware_status"),
                ),
            ),
        ),
    ),
    "SMI_STATUS": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R, "PPMID %1 is %2 in the DCC's inventory: a device in that state cannot be whitelisted and joined."
            ),
            ("device_id", "status"),
        ),
        (CONTACT_BACK_OFFICE,),
        variants=(
            (
                "unsettled",
                Sentence(
                    QT_TRANSLATE_NOOP(
                        _R,
                        "PPMID %1 is %2 in the DCC's inventory: whitelisting and joining it may fail until its "
                        "status is settled.",
                    ),
                    ("device_id", "status"),
                ),
            ),
        ),
    ),
    "HARDWARE_UNKNOWN": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "The job pack gives no hardware version, and this model's SMETS1 and SMETS2+ CPL entries are for "
                "different hardware versions (%1 and %2): it is not known to work with both generations.",
            ),
            ("s1_hardware", "s2_hardware"),
        ),
        (CONTACT_BACK_OFFICE,),
    ),
    "S1_SECURE_THIRD_PARTY": ReasonEntry(
        Sentence(
            QT_TRANSLATE_NOOP(
                _R,
                "The hub's SMETS1 service provider (%1) is the Secure one and this PPMID's manufacturer (%2) is not "
                "the hub's (%3): a firmware read or upgrade of it will fail (S1SR 18.63(c), 18.64(b)), so no "
                "firmware read is queued.",
            ),
            ("s1sp", "manufacturer_id", "hub_manufacturer_id"),
        ),
    ),
}


def remedies_for(code: str) -> tuple[str, ...]:
    """The RemedyAction values that answer reason ``code`` (none for a note)."""
    entry = REASONS.get(code)
    return entry.remedies if entry else ()


class ReasonLine(NamedTuple):
    """One reason as the installer reads it, with what to do about it.

    ``template`` and ``values`` let a display translate the sentence and fill it again;
    ``message`` is the English the command line's JSON carries.
    """

    severity: Severity
    code: str
    message: str
    remedies: tuple[str, ...]
    template: str = ""
    values: tuple[str, ...] = ()


def pair_reasons_with_remedies(verdict: Verdict) -> list[ReasonLine]:
    """Each reason of the verdict with the descriptions of the remedies that answer it.

    The rules emit each remedy right after its reason; the catalogue says which actions
    answer which code. A remedy no reason claims is still shown, on the last line, so
    nothing the rules say is dropped. A remedy whose action answers two of the reasons
    is shown with both.
    """
    unused = list(verdict.remedies)
    lines: list[ReasonLine] = []
    for reason in verdict.reasons:
        actions = remedies_for(reason.code)
        mine = [r for r in verdict.remedies if r.action in actions]
        for remedy in mine:
            if remedy in unused:
                unused.remove(remedy)
        lines.append(
            ReasonLine(
                reason.severity,
                reason.code.value,
                reason.message,
                tuple(r.description for r in mine),
                reason.template,
                reason.values,
            )
        )
    if unused and lines:
        lines[-1] = lines[-1]._replace(remedies=lines[-1].remedies + tuple(r.description for r in unused))
    return lines


# --- Verdict levels and reason severities ----------------------------------------------
# In app.domain.level_words (re-exported here): the window's idle banner needs them before
# its first paint, and that small module loads without the reasons' table.

# --- Service Requests ------------------------------------------------------------------

_S = "ServiceRequest"

#: Each SRV HubCheck can queue: the DUIS name, then what it does for this visit.
SRV_NAMES: dict[str, str] = {
    "12.2": QT_TRANSLATE_NOOP(_S, "Device Pre-notification: tell the DCC a device is coming"),
    "8.14.1": QT_TRANSLATE_NOOP(_S, "CH Status Update – Install Success: hub installed, SM WAN up"),
    "8.14.2": QT_TRANSLATE_NOOP(_S, "CH Status Update – Install No SM WAN: hub installed, no SM WAN"),
    "8.14.3": QT_TRANSLATE_NOOP(_S, "CH Status Update – Fault Return: faulty hub sent back"),
    "8.14.4": QT_TRANSLATE_NOOP(_S, "CH Status Update – No Fault Return: working hub sent back"),
    "8.11": QT_TRANSLATE_NOOP(_S, "Update HAN Device Log: add the PPMID to the hub's whitelist"),
    "8.7.1": QT_TRANSLATE_NOOP(_S, "Join Service (Critical): join the PPMID to the meter"),
    "8.7.2": QT_TRANSLATE_NOOP(_S, "Join Service (Non-Critical): join the meter to the PPMID"),
    "8.8.1": QT_TRANSLATE_NOOP(_S, "Unjoin Service (Critical): unjoin the PPMID from the meter"),
    "8.8.2": QT_TRANSLATE_NOOP(_S, "Unjoin Service (Non-Critical): unjoin the meter from the PPMID"),
    "8.4": QT_TRANSLATE_NOOP(_S, "Update Inventory: change the DCC's device record"),
    "8.2": QT_TRANSLATE_NOOP(_S, "Read Inventory: read the DCC's device record"),
    "11.2": QT_TRANSLATE_NOOP(_S, "Read Firmware Version: read the PPMID's running firmware"),
}

#: One SRV, several requests: keyed by the intent's kind (its DUIS body element).
KIND_NAMES: dict[str, str] = {
    "UpdateDeviceDetails": QT_TRANSLATE_NOOP(_S, "Update Inventory: update the device details (CPL move)"),
    "UpdateDeviceStatusExceptCH": QT_TRANSLATE_NOOP(_S, "Update Inventory: set the device's status"),
    "UpdateDeviceStatusCH": QT_TRANSLATE_NOOP(_S, "Update Inventory: set the hub's status"),
    "DeleteDevice": QT_TRANSLATE_NOOP(_S, "Update Inventory: delete the device record"),
    "UpdateMPxN": QT_TRANSLATE_NOOP(_S, "Update Inventory: change the device's MPxN"),
}


def srv_name(srv: str, kind: str = "") -> str:
    """The display name of a queued request: by kind where one SRV has several, else by SRV.

    An SRV the catalogue does not know shows its kind (or the bare SRV), never nothing.
    """
    return KIND_NAMES.get(kind) or SRV_NAMES.get(srv) or kind or srv
