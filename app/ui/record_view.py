"""Layout of "Record the visit": hub install details and the meter (a form that scrolls with
the left column), and the action strip — override reason, Record, Abort and the message
under them — that the Check tab keeps in view at the bottom, whatever the screen's height.

Widgets are created in the order they are seen and the Tab order is set to that order:
the form reads the visit's scenario, meter, connection, premise, obstructions, location, aerial, 8.4 remedy;
then the strip's override, Record, abort reason and Abort.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.fit import GLOVE_HEIGHT, glove, set_tab_order


class RecordView(QVBoxLayout):
    """Public children: ``box``, ``form``, ``scenario`` (with ``scenario_label`` and
    ``scenario_why``), ``wan``, ``location``, ``aerial``, ``meter``, ``premise``,
    ``metal``, ``connectivity``, ``shared``, ``survey_label``, ``remedy``, ``strip`` (the action
    strip, laid out by the Check tab), ``override_label``, ``override``, ``record``,
    ``abort_reason``, ``abort``, ``result``."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.setContentsMargins(0, 0, 0, 0)
        self.box = QGroupBox(owner)
        self.box.setObjectName("recordBox")
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # A narrow column (1280×720 at 150% text) puts a field under its label, not off the edge.
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)

        # In the order they are seen (and tabbed through).
        # The visit's scenario (DOMAIN A5): proposed from the hub's SMI status, confirmed here.
        self.scenario = QComboBox(self.box)
        self.scenario.setObjectName("visitScenarioInput")
        self.scenario_why = QLabel(self.box)
        self.scenario_why.setObjectName("visitScenarioReason")
        self.scenario_why.setWordWrap(True)
        self.meter = QComboBox(self.box)
        self.meter.setObjectName("meterInput")
        self.wan = QComboBox(self.box)
        self.wan.setObjectName("smWanInput")
        self.premise = QComboBox(self.box)
        self.premise.setObjectName("premiseTypeInput")
        self.metal = QCheckBox(self.box)
        self.metal.setObjectName("metalObstructionInput")
        self.connectivity = QCheckBox(self.box)
        self.connectivity.setObjectName("connectivityObstructionInput")
        self.shared = QCheckBox(self.box)
        self.shared.setObjectName("sharedObstructionInput")
        self.location = QComboBox(self.box)
        self.location.setObjectName("hubLocationInput")
        self.aerial = QCheckBox(self.box)
        self.aerial.setObjectName("aerialInput")
        self.remedy = QCheckBox(self.box)
        self.remedy.setObjectName("remedyInput")
        # The alternative to the 8.4: the supplier asks the DCC to change the inventory by hand.
        self.manual_change = QCheckBox(self.box)
        self.manual_change.setObjectName("manualInventoryChangeInput")
        survey = QHBoxLayout()
        survey.addWidget(self.metal)
        survey.addWidget(self.connectivity)
        survey.addWidget(self.shared)
        survey.addStretch(1)
        self.survey_label = QLabel(self.box)

        self.scenario_label = QLabel(self.box)
        self.meter_label = QLabel(self.box)
        self.wan_label = QLabel(self.box)
        self.premise_label = QLabel(self.box)
        self.location_label = QLabel(self.box)
        for label, field in ((self.scenario_label, self.scenario), (self.wan_label, self.wan), (self.location_label, self.location),
                             (self.meter_label, self.meter), (self.premise_label, self.premise)):
            label.setBuddy(field)
        self.form.addRow(self.scenario_label, self.scenario)
        self.form.addRow(self.scenario_why)
        self.form.addRow(self.meter_label, self.meter)
        self.form.addRow(self.wan_label, self.wan)
        self.form.addRow(self.premise_label, self.premise)
        self.form.addRow(self.survey_label, survey)
        location_row = QHBoxLayout()
        location_row.addWidget(self.location, 1)
        location_row.addWidget(self.aerial)
        self.form.addRow(self.location_label, location_row)
        self.form.addRow(self.remedy)
        self.form.addRow(self.manual_change)
        inner = QVBoxLayout(self.box)
        inner.addLayout(self.form)
        self.addWidget(self.box)

        # --- The action strip: laid out by the Check tab under the scrolling column.
        self.strip = QFrame(owner)
        self.strip.setObjectName("recordActionStrip")
        self.override_label = QLabel(self.strip)
        self.override_label.setObjectName("overrideReasonLabel")
        self.override_label.setWordWrap(True)
        self.override = QLineEdit(self.strip)
        self.override.setObjectName("overrideReasonInput")
        self.override_label.setBuddy(self.override)
        self.record = QPushButton(self.strip)
        self.record.setObjectName("recordInstallButton")
        self.record.setMinimumHeight(GLOVE_HEIGHT + 8)
        font = self.record.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.record.setFont(font)
        self.abort_reason = QLineEdit(self.strip)
        self.abort_reason.setObjectName("abortReasonInput")
        self.abort = QPushButton(self.strip)
        self.abort.setObjectName("abortVisitButton")
        self.result = QLabel(self.strip)
        self.result.setObjectName("recordResultLabel")
        self.result.setWordWrap(True)
        rule = QFrame(self.strip)
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        abort_row = QHBoxLayout()
        abort_row.setSpacing(6)
        abort_row.addWidget(self.abort_reason, 1)
        abort_row.addWidget(self.abort)
        column = QVBoxLayout(self.strip)
        column.setContentsMargins(0, 2, 8, 0)
        column.setSpacing(5)
        column.addWidget(rule)
        column.addWidget(self.override_label)
        column.addWidget(self.override)
        column.addWidget(self.record)
        column.addLayout(abort_row)
        column.addWidget(self.result)

        for combo in (self.scenario, self.meter, self.wan, self.premise, self.location):
            # Long choices are cut short on a narrow column rather than widening it past the screen.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        glove(self.scenario, self.meter, self.wan, self.premise, self.location, self.metal, self.connectivity, self.shared,
              self.aerial, self.remedy, self.manual_change, self.override, self.abort_reason, self.abort)
        #: The form's and the strip's controls in the order they are seen (and tabbed through).
        self.tab_chain: list[QWidget] = [
            self.scenario, self.meter, self.wan, self.premise, self.metal, self.connectivity, self.shared, self.location,
            self.aerial, self.remedy, self.manual_change, self.override, self.record, self.abort_reason, self.abort,
        ]
        set_tab_order(self.tab_chain)
