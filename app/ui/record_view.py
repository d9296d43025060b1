"""Layout of "Record the visit": hub install details, the meter, override, record and abort."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class RecordView(QVBoxLayout):
    """Public children: ``box``, ``form``, ``wan``, ``location``, ``aerial``, ``meter``, ``premise``,
    ``metal``, ``connectivity``, ``shared``, ``survey_label``, ``remedy``, ``override_label``,
    ``override``, ``record``, ``abort_reason``, ``abort``, ``result``."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.setContentsMargins(0, 0, 0, 0)
        self.box = QGroupBox(owner)
        self.box.setObjectName("recordBox")
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.wan = QComboBox(self.box)
        self.wan.setObjectName("smWanInput")
        self.location = QComboBox(self.box)
        self.location.setObjectName("hubLocationInput")
        self.aerial = QCheckBox(self.box)
        self.aerial.setObjectName("aerialInput")
        self.meter = QComboBox(self.box)
        self.meter.setObjectName("meterInput")
        self.premise = QComboBox(self.box)
        self.premise.setObjectName("premiseTypeInput")
        self.metal = QCheckBox(self.box)
        self.metal.setObjectName("metalObstructionInput")
        self.connectivity = QCheckBox(self.box)
        self.connectivity.setObjectName("connectivityObstructionInput")
        self.shared = QCheckBox(self.box)
        self.shared.setObjectName("sharedObstructionInput")
        survey = QHBoxLayout()
        survey.addWidget(self.metal)
        survey.addWidget(self.connectivity)
        survey.addWidget(self.shared)
        survey.addStretch(1)
        self.survey_label = QLabel(self.box)
        self.remedy = QCheckBox(self.box)
        self.remedy.setObjectName("remedyInput")
        self.override_label = QLabel(self.box)
        self.override_label.setWordWrap(True)
        self.override = QLineEdit(self.box)
        self.override.setObjectName("overrideReasonInput")
        self.override.setMinimumHeight(34)
        self.override_label.setBuddy(self.override)

        self.wan_label = QLabel(self.box)
        self.location_label = QLabel(self.box)
        self.meter_label = QLabel(self.box)
        self.premise_label = QLabel(self.box)
        for label, field in ((self.wan_label, self.wan), (self.location_label, self.location),
                             (self.meter_label, self.meter), (self.premise_label, self.premise)):
            label.setBuddy(field)
        self.form.addRow(self.meter_label, self.meter)
        self.form.addRow(self.wan_label, self.wan)
        self.form.addRow(self.premise_label, self.premise)
        self.form.addRow(self.survey_label, survey)
        location_row = QHBoxLayout()
        location_row.addWidget(self.location, 1)
        location_row.addWidget(self.aerial)
        self.form.addRow(self.location_label, location_row)
        self.form.addRow("", self.remedy)
        self.form.addRow(self.override_label)
        self.form.addRow(self.override)

        self.record = QPushButton(self.box)
        self.record.setObjectName("recordInstallButton")
        self.record.setMinimumHeight(40)
        font = self.record.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.record.setFont(font)
        self.abort_reason = QLineEdit(self.box)
        self.abort_reason.setObjectName("abortReasonInput")
        self.abort_reason.setMinimumHeight(34)
        self.abort = QPushButton(self.box)
        self.abort.setObjectName("abortVisitButton")
        self.abort.setMinimumHeight(34)
        buttons = QHBoxLayout()
        buttons.addWidget(self.record, 2)
        abort_row = QHBoxLayout()
        abort_row.addWidget(self.abort_reason, 1)
        abort_row.addWidget(self.abort)
        self.result = QLabel(self.box)
        self.result.setObjectName("recordResultLabel")
        self.result.setWordWrap(True)

        inner = QVBoxLayout(self.box)
        inner.addLayout(self.form)
        inner.addLayout(buttons)
        inner.addLayout(abort_row)
        inner.addWidget(self.result)
        self.addWidget(self.box)
