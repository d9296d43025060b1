"""Record the visit: confirm the hub install and the meter, then queue the Service Requests.

A STOP verdict keeps the record button disabled until the installer types an override
reason (kept with the record and sent to the back office). Nothing here opens a dialog:
the result, or what to fix, appears in the line under the buttons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from app.ui.record_view import RecordView

if TYPE_CHECKING:  # the domain loads after the first paint; these annotate only
    from app.domain.devices import DeviceRecord, DeviceType
    from app.domain.duis.enums import CHFLocation, PremiseType

MIN_OVERRIDE_CHARS = 5


class VisitChoices(NamedTuple):
    """What the installer confirmed in the form (the labels and job come from elsewhere)."""

    meter_id: str
    meter_type: DeviceType | None
    wan: bool
    hub_location: CHFLocation
    aerial: bool
    premise: PremiseType | None
    metal: bool
    connectivity: bool
    shared: bool
    override_reason: str
    remedy_chosen: bool
    manual_change: bool = False  # the alternative: the back office asks the DCC by hand
    #: ``existing-hub`` / ``new-hub`` as the installer confirmed it (None: not chosen).
    scenario: str | None = None


class RecordPanel(QWidget):
    recordRequested = Signal(object)  # VisitChoices
    abortRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordPanel")
        v = self.view = RecordView(self)
        v.box.setTitle(self.tr("Record the visit"))
        v.scenario_label.setText(self.tr("&Visit"))
        v.scenario.addItem(self.tr("Choose: was the hub there already?"), None)
        v.scenario.addItem(self.tr("Hub already there (no 8.14)"), "existing-hub")
        v.scenario.addItem(self.tr("Hub fitted today (8.14, and 8.11 for each meter)"), "new-hub")
        v.scenario.setToolTip(self.tr("Proposed from the hub's SMI status; change it if the site says otherwise."))
        v.scenario_why.hide()
        v.meter_label.setText(self.tr("PPMID joins &meter"))
        v.wan_label.setText(self.tr("Hub &connection"))
        v.location_label.setText(self.tr("Hub &location"))
        v.premise_label.setText(self.tr("Premise &type"))
        v.survey_label.setText(self.tr("Obstructions"))
        v.wan.addItem(self.tr("SM WAN available (8.14.1)"), True)
        v.wan.addItem(self.tr("No SM WAN (8.14.2)"), False)
        v.aerial.setText(self.tr("&Aerial fitted"))
        v.metal.setText(self.tr("Metal"))
        v.connectivity.setText(self.tr("Connectivity"))
        v.shared.setText(self.tr("Shared"))
        v.remedy.setText(self.tr("Also queue the &8.4 remedy"))
        v.remedy.setToolTip(self.tr("8.4 Update Inventory moves the PPMID to its other CPL entry; "
                                    "the back office must approve it before it is sent."))
        v.remedy.hide()  # offered only with a verdict that calls for it (set_verdict)
        v.manual_change.setText(self.tr("Or ask the DCC for a manual inventory &change"))
        v.manual_change.setToolTip(self.tr("Recorded with the visit for the back office, which asks the DCC; "
                                           "no request is queued for it"))
        v.manual_change.hide()
        # One remedy or the other, never both.
        v.remedy.toggled.connect(lambda on: v.manual_change.setChecked(False) if on else None)
        v.manual_change.toggled.connect(lambda on: v.remedy.setChecked(False) if on else None)
        v.override_label.setText(
            self.tr("STOP verdict: to record anyway, type the &override reason (it is kept with the record)")
        )
        v.override.setPlaceholderText(self.tr("Why you are pairing despite the STOP"))
        v.record.setText(self.tr("&Record install  (Ctrl+Enter)"))
        v.abort_reason.setPlaceholderText(self.tr("Reason the visit ended without an install"))
        v.abort.setText(self.tr("A&bort visit"))
        for widget, name in (
            (v.scenario, self.tr("Visit scenario")), (v.meter, self.tr("Meter the PPMID joins")), (v.wan, self.tr("Hub connection")),
            (v.location, self.tr("Hub location")), (v.premise, self.tr("Premise type")),
            (v.aerial, self.tr("Aerial fitted")), (v.metal, self.tr("Metal obstruction")),
            (v.connectivity, self.tr("Connectivity obstruction")), (v.shared, self.tr("Shared obstruction")),
            (v.remedy, self.tr("Queue 8.4 remedy")), (v.override, self.tr("Override reason")),
            (v.record, self.tr("Record install")), (v.abort_reason, self.tr("Abort reason")),
            (v.abort, self.tr("Abort visit")),
        ):
            widget.setAccessibleName(name)
        v.wan.currentIndexChanged.connect(self._update)
        v.scenario.currentIndexChanged.connect(self._on_scenario_changed)
        v.override.textChanged.connect(self._update)
        v.abort_reason.textChanged.connect(self._update)
        v.record.clicked.connect(self._on_record)
        v.abort.clicked.connect(self._on_abort)
        v.abort_reason.returnPressed.connect(self._on_abort)
        self._level: str | None = None
        #: The installer changed the proposed scenario: a new verdict for the same visit keeps it.
        self._scenario_chosen = False
        self._proposing = False
        #: Why the visit cannot be recorded whatever the form says (a mis-scan, another
        #: job's devices), as the visit session judged it; None when nothing stands in the way.
        self._blocker: str | None = None
        self._has_job = False
        self._ready = False
        self._busy = False
        self._why_not = ""
        self._message: str | None = None
        self._update()

    def fill_choices(self) -> None:
        """Fill the DUIS enumerations after the first paint (``app.domain.duis`` loads lxml)."""
        from app.domain.duis.enums import CHFLocation, PremiseType

        v = self.view
        if v.location.count():
            return
        for location in CHFLocation:
            v.location.addItem(location.value, location.value)
        v.location.setCurrentIndex(list(CHFLocation).index(CHFLocation.INDOORS_EXTERNAL_WALL))
        for premise in PremiseType:
            v.premise.addItem(premise.value, premise.value)

    def set_meters(self, meters: list[DeviceRecord]) -> None:
        self.view.meter.clear()
        for record in meters:
            kind = record.device_type.value if record.device_type else "?"
            self.view.meter.addItem(f"{kind}  {record.device_id}", (str(record.device_id), kind if record.device_type else ""))
        self._has_job = True
        self._update()

    def clear_job(self) -> None:
        self.view.meter.clear()
        self._has_job = False
        self._update()

    def set_verdict(self, level: str | None, remedies: tuple[Any, ...] = ()) -> None:
        """``level`` None means no verdict yet; ``remedies`` are the verdict's ``Remedy`` objects."""
        from app.domain.reasons import RemedyAction

        self._level = level
        self._blocker = None  # a new verdict: the window sets the session's blocker again
        offer = any(r.action is RemedyAction.QUEUE_UPDATE_INVENTORY for r in remedies)
        self.view.remedy.setVisible(offer)
        self.view.manual_change.setVisible(offer)
        if not offer:
            self.view.remedy.setChecked(False)
            self.view.manual_change.setChecked(False)
        if level != "block":
            self.view.override.clear()
        if level is None:
            self._scenario_chosen = False
            self.set_scenario(None, "")
        self._update()

    def set_scenario(self, proposed: str | None, why: str) -> None:
        """Offer the scenario the hub's SMI status proposes (None: none, the installer chooses).

        Once the installer has chosen one for this visit, a new verdict (another hub generation,
        a regime change) only updates the proposal's sentence: the choice stays."""
        v = self.view
        if not self._scenario_chosen:
            index = v.scenario.findData(proposed) if proposed else 0
            self._proposing = True
            try:
                v.scenario.setCurrentIndex(max(index, 0))
            finally:
                self._proposing = False
        if why:
            text = self.tr("Proposed: %1.") if proposed else self.tr("No proposal: %1.")
            v.scenario_why.setText(text.replace("%1", why))
        v.scenario_why.setVisible(bool(why))
        self._update()

    def set_blocker(self, text: str | None) -> None:
        """A reason no override can lift: Record stays disabled and the override field hidden."""
        self._blocker = text
        self._update()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update()

    def show_result(self, text: str | None) -> None:
        """A message that stays until the next scan or job change (None: back to the hint)."""
        self._message = text
        self._update()

    def reset_after_record(self) -> None:
        self._scenario_chosen = False
        self.view.override.clear()
        self.view.abort_reason.clear()
        self.view.remedy.setChecked(False)
        self.view.manual_change.setChecked(False)

    def _on_scenario_changed(self, _index: int) -> None:
        if not self._proposing:
            self._scenario_chosen = True
        self._update()

    @property
    def why_not(self) -> str:
        """Why the record button is disabled ("" when it is enabled)."""
        return self._why_not

    def _update(self) -> None:
        v = self.view
        # An existing hub's visit reports no hub install (8.14): its connection and survey do not apply.
        new_hub = v.scenario.currentData() != "existing-hub"
        v.wan.setEnabled(new_hub)
        wan = bool(v.wan.currentData()) if v.wan.count() and new_hub else True
        for widget in (v.premise, v.premise_label, v.survey_label, v.metal, v.connectivity, v.shared):
            widget.setVisible(not wan)
        blocked = self._level == "block" and self._blocker is None
        v.override.setVisible(blocked)
        v.override_label.setVisible(blocked)
        reasons = [self._blocker] if self._blocker else []
        if not self._has_job:
            reasons.append(self.tr("choose the job"))
        elif v.meter.count() == 0:
            reasons.append(self.tr("the job lists no electricity or gas meter"))
        if self._level is None:
            reasons.append(self.tr("scan both devices"))
        elif v.scenario.currentData() is None:
            reasons.append(self.tr("say whether the hub was there already or is fitted today"))
        if blocked and len(v.override.text().strip()) < MIN_OVERRIDE_CHARS:
            reasons.append(self.tr("give an override reason (at least %1 characters)").replace("%1", str(MIN_OVERRIDE_CHARS)))
        if self._busy:
            reasons.append(self.tr("wait for the current save to finish"))
        self._why_not = "; ".join(reasons)
        v.record.setEnabled(not reasons)
        v.record.setToolTip(self.tr("To record: %1").replace("%1", self._why_not) if reasons else "")
        v.abort.setEnabled(self._has_job and bool(v.abort_reason.text().strip()) and not self._busy)
        if self._message:
            v.result.setText(self._message)
        elif reasons:
            v.result.setText(self.tr("To record: %1.").replace("%1", self._why_not))
        else:
            v.result.setText(self.tr("Ready to record."))

    def choices(self) -> VisitChoices:
        from app.domain.devices import DeviceType
        from app.domain.duis.enums import CHFLocation, PremiseType

        self.fill_choices()
        v = self.view
        meter_id, meter_kind = v.meter.currentData() or ("", None)
        meter_type = DeviceType(meter_kind) if meter_kind else None
        wan = bool(v.wan.currentData()) or v.scenario.currentData() == "existing-hub"
        return VisitChoices(
            meter_id=meter_id,
            meter_type=meter_type,
            wan=wan,
            hub_location=CHFLocation(v.location.currentData()),
            aerial=v.aerial.isChecked(),
            premise=None if wan else PremiseType(v.premise.currentData()),
            metal=v.metal.isChecked(),
            connectivity=v.connectivity.isChecked(),
            shared=v.shared.isChecked(),
            override_reason=v.override.text().strip() if self._level == "block" else "",
            remedy_chosen=v.remedy.isVisible() and v.remedy.isChecked(),
            manual_change=v.manual_change.isVisible() and v.manual_change.isChecked(),
            scenario=v.scenario.currentData() or None,
        )

    def _on_record(self) -> None:
        if self.view.record.isEnabled():
            self.show_result(self.tr("Saving…"))
            self.recordRequested.emit(self.choices())

    def _on_abort(self) -> None:
        reason = self.view.abort_reason.text().strip()
        if reason and self.view.abort.isEnabled():
            self.show_result(self.tr("Saving…"))
            self.abortRequested.emit(reason)
