"""Layout of the settings pane: one form, an error line under each field, Save and Revert."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.ui.fit import follow_focus, glove


class SettingsPageView(QVBoxLayout):
    """Public children: one editor per setting (``regime``, ``originator``, ``url``, ``token``,
    ``show_token``, ``decoder``, ``camera``, ``wedge_interval``, ``wedge_length``, ``sound``,
    ``join_time``, ``schema``, ``text_scale``, ``high_contrast``, ``data_dir``), ``errors`` (key → QLabel), ``labels`` (key → QLabel),
    ``summary``, ``save``, ``revert``."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(owner)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget(scroll)
        body.setObjectName("settingsBody")
        scroll.setWidget(body)
        follow_focus(scroll)  # a field reached by Alt+letter scrolls into view
        outer = QVBoxLayout(body)
        outer.setContentsMargins(16, 12, 16, 12)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setVerticalSpacing(4)

        self.regime = QComboBox(body)
        self.regime.setObjectName("regimeInput")
        self.originator = QLineEdit(body)
        self.originator.setObjectName("originatorInput")
        self.url = QLineEdit(body)
        self.url.setObjectName("backofficeUrlInput")
        self.token = QLineEdit(body)
        self.token.setObjectName("backofficeTokenInput")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_token = QCheckBox(body)
        self.show_token.setObjectName("showTokenInput")
        token_row = QHBoxLayout()
        token_row.addWidget(self.token, 1)
        token_row.addWidget(self.show_token)
        self.decoder = QComboBox(body)
        self.decoder.setObjectName("decoderInput")
        self.camera = QComboBox(body)
        self.camera.setObjectName("cameraInput")
        self.camera.setEditable(True)
        self.wedge_interval = QSpinBox(body)
        self.wedge_interval.setObjectName("wedgeIntervalInput")
        self.wedge_length = QSpinBox(body)
        self.wedge_length.setObjectName("wedgeLengthInput")
        self.sound = QCheckBox(body)
        self.sound.setObjectName("soundInput")
        self.join_time = QSpinBox(body)
        self.join_time.setObjectName("joinTimeInput")
        self.schema = QLineEdit(body)
        self.schema.setObjectName("duisSchemaInput")
        self.s1sp_cohorts = QLineEdit(body)
        self.s1sp_cohorts.setObjectName("s1spCohortsInput")
        self.text_scale = QComboBox(body)
        self.text_scale.setObjectName("textScaleInput")
        self.high_contrast = QCheckBox(body)
        self.high_contrast.setObjectName("highContrastInput")
        self.data_dir = QLineEdit(body)
        self.data_dir.setObjectName("dataDirInput")

        self.labels: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        rows = (
            ("regime", self.regime), ("originator_id", self.originator), ("backoffice_url", self.url),
            ("backoffice_token", token_row), ("decoder", self.decoder), ("camera", self.camera),
            ("wedge_max_interval_ms", self.wedge_interval), ("wedge_min_length", self.wedge_length),
            ("sound_enabled", self.sound), ("join_time_period", self.join_time), ("duis_schema", self.schema), ("s1sp_cohorts", self.s1sp_cohorts),
            ("text_scale", self.text_scale), ("high_contrast", self.high_contrast), ("data_dir", self.data_dir),
        )
        for key, field in rows:
            label = QLabel(body)
            self.labels[key] = label
            error = QLabel(body)
            error.setObjectName(f"settingsError_{key}")
            error.setWordWrap(True)
            error.hide()
            self.errors[key] = error
            column = QVBoxLayout()
            column.setSpacing(2)
            if isinstance(field, QWidget):
                column.addWidget(field)
                label.setBuddy(field)
            else:
                column.addLayout(field)
                label.setBuddy(self.token)
            column.addWidget(error)
            self.form.addRow(label, column)
        # Who owns the regime (the back office, since when; or this laptop), under its field.
        self.regime_note = QLabel(body)
        self.regime_note.setObjectName("regimeNoteLabel")
        self.regime_note.setWordWrap(True)
        self.form.insertRow(1, QLabel(body), self.regime_note)
        self.hints: dict[str, QLabel] = {}

        self.summary = QLabel(body)
        self.summary.setObjectName("settingsSummaryLabel")
        self.summary.setWordWrap(True)
        self.save = QPushButton(body)
        self.save.setObjectName("saveSettingsButton")
        self.save.setMinimumHeight(40)
        self.revert = QPushButton(body)
        self.revert.setObjectName("revertSettingsButton")
        self.revert.setMinimumHeight(40)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.revert)
        buttons.addWidget(self.save)
        # Fields at a readable width, not stretched across a wide screen.
        page = QVBoxLayout()
        page.setContentsMargins(0, 0, 0, 0)
        page.addLayout(self.form)
        page.addSpacing(8)
        page.addLayout(buttons)
        holder = QWidget(body)
        holder.setLayout(page)
        holder.setMaximumWidth(980)
        row = QHBoxLayout()
        row.addWidget(holder, 1)
        row.addStretch(0)
        outer.addLayout(row)
        outer.addStretch(1)
        self.addWidget(scroll)
        glove(self.regime, self.originator, self.url, self.token, self.show_token, self.decoder, self.camera,
              self.wedge_interval, self.wedge_length, self.sound, self.join_time, self.schema, self.s1sp_cohorts, self.text_scale,
              self.high_contrast, self.data_dir, self.save, self.revert)
