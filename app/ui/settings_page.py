"""The settings pane: every setting validated by the same parser the command line uses.

Errors appear under the field that caused them, in words, and nothing is saved until
every field is valid (a half-saved back-office address and token would be worse than
none). The data folder is not a setting inside the data folder: it is remembered in a
small pointer file in the user's config folder and used from the next start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from app.domain.errors import DomainInputError
from app.ui import data_folder
from app.ui.settings_page_view import SettingsPageView


class SettingsPage(QWidget):
    """Emits ``saveRequested(dict)`` with validated string values; ``dataDirChosen(str)``."""

    saveRequested = Signal(dict)
    dataDirChosen = Signal(str)

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsPage")
        self._data_dir = data_dir
        self._values: dict[str, Any] = {}
        self._cameras_listed = False
        v = self.view = SettingsPageView(self)
        texts = {
            "regime": self.tr("&Regime"),
            "originator_id": self.tr("Business&OriginatorID"),
            "backoffice_url": self.tr("Back-office &address"),
            "backoffice_token": self.tr("Back-office &token"),
            "decoder": self.tr("Barcode &decoder"),
            "camera": self.tr("&Camera"),
            "wedge_max_interval_ms": self.tr("Scanner: max gap between keys (ms)"),
            "wedge_min_length": self.tr("Scanner: min scan length (characters)"),
            "sound_enabled": self.tr("Sound"),
            "join_time_period": self.tr("&Join time period (seconds)"),
            "duis_schema": self.tr("DUIS sche&ma file"),
            "s1sp_cohorts": self.tr("SMETS&1 cohorts (S1SP)"),
            "text_scale": self.tr("Te&xt size"),
            "high_contrast": self.tr("Contrast"),
            "data_dir": self.tr("Data &folder"),
        }
        for key, text in texts.items():
            v.labels[key].setText(text)
        v.regime.addItem(self.tr("Tactical (the cautious default)"), "tactical")
        v.regime.addItem(self.tr("MP202 (enduring solution)"), "mp202")
        v.decoder.addItem(self.tr("zxing-cpp (recommended)"), "zxing")
        v.decoder.addItem(self.tr("zbar"), "zbar")
        camera_edit = v.camera.lineEdit()
        if camera_edit is not None:  # the camera box is editable, so it has one
            camera_edit.setPlaceholderText(self.tr("Default camera"))
        v.originator.setPlaceholderText("90-B3-D5-1F-30-01-00-00")
        v.url.setPlaceholderText("https://backoffice.example/")
        v.show_token.setText(self.tr("Show"))
        v.show_token.toggled.connect(
            lambda on: v.token.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        )
        v.wedge_interval.setRange(5, 500)
        v.wedge_length.setRange(3, 64)
        v.join_time.setRange(1, 3600)
        v.sound.setText(self.tr("Play a sound when a scan is accepted or rejected"))
        for percent in (100, 125, 150):
            v.text_scale.addItem(self.tr("%1%").replace("%1", str(percent)), percent)
        v.high_contrast.setText(self.tr("&High contrast (black and white, for bright sun)"))
        v.schema.setPlaceholderText(self.tr("Empty: use the bundled copy when present"))
        v.s1sp_cohorts.setPlaceholderText(self.tr("e.g. S1SP-A=IOC, S1SP-B=FOC (empty: read from the S1SP's name)"))
        v.s1sp_cohorts.setToolTip(self.tr("Which SMETS1 cohort each S1SP value in the DCC's inventory means: "
                                          "IOC, MOC-Secure or FOC. It decides the SMETS1 caveats."))
        v.save.setText(self.tr("&Save settings  (Ctrl+S)"))
        v.revert.setText(self.tr("Re&vert"))
        for label in v.labels.values():
            buddy = label.buddy()
            if buddy is not None:
                buddy.setAccessibleName(label.text().replace("&", ""))
        v.save.clicked.connect(self.save)
        v.revert.clicked.connect(lambda: self.show_values(self._values))
        self._data_dir_locked = data_folder.locked_reason()
        self._waiting_for_folder: dict[str, str] | None = None  # settings held while a new folder is tried
        if self._data_dir_locked:
            v.data_dir.setReadOnly(True)
            v.data_dir.setToolTip(self._data_dir_locked)

    def show_values(self, values: dict[str, Any]) -> None:
        self._values = dict(values)
        v = self.view
        v.regime.setCurrentIndex(max(0, v.regime.findData(values.get("regime", "tactical"))))
        self._show_regime_owner(values)
        v.originator.setText(str(values.get("originator_id", "")))
        v.url.setText(str(values.get("backoffice_url", "")))
        v.token.setText(str(values.get("backoffice_token", "")))
        v.decoder.setCurrentIndex(max(0, v.decoder.findData(values.get("decoder", "zxing"))))
        v.camera.setEditText(str(values.get("camera", "")))
        v.wedge_interval.setValue(int(values.get("wedge_max_interval_ms", 35)))
        v.wedge_length.setValue(int(values.get("wedge_min_length", 8)))
        v.sound.setChecked(bool(values.get("sound_enabled", True)))
        v.join_time.setValue(int(values.get("join_time_period", 3600)))
        v.schema.setText(str(values.get("duis_schema", "")))
        v.s1sp_cohorts.setText(str(values.get("s1sp_cohorts", "")))
        v.text_scale.setCurrentIndex(max(0, v.text_scale.findData(int(values.get("text_scale", 100)))))
        v.high_contrast.setChecked(bool(values.get("high_contrast", False)))
        v.data_dir.setText(str(self._data_dir))
        for error in v.errors.values():
            error.hide()
        v.summary.setText(self.tr("Settings are saved in %1").replace("%1", str(self._data_dir)))

    def _show_regime_owner(self, values: dict[str, Any]) -> None:
        """The regime is the supplier's: read-only here once the back office set it."""
        v = self.view
        locked = values.get("regime_source") == "backoffice" and bool(values.get("backoffice_url"))
        since = str(values.get("regime_since") or "")[:10]
        v.regime.setEnabled(not locked)
        if locked:
            note = (self.tr("Set by the supplier's back office since %1; it cannot be changed here.")
                    .replace("%1", since) if since else
                    self.tr("Set by the supplier's back office; it cannot be changed here."))
        else:
            note = self.tr("Set on this laptop: a change is written to the journal and re-checks the visit on screen.")
        v.regime.setToolTip(note)
        v.regime.setAccessibleDescription(note)
        v.regime_note.setText(note)

    def edited_values(self) -> dict[str, str]:
        v = self.view
        return {
            "regime": str(v.regime.currentData()),
            "originator_id": v.originator.text(),
            "backoffice_url": v.url.text(),
            "backoffice_token": v.token.text(),
            "decoder": str(v.decoder.currentData()),
            "camera": v.camera.currentText(),
            "wedge_max_interval_ms": str(v.wedge_interval.value()),
            "wedge_min_length": str(v.wedge_length.value()),
            "sound_enabled": "true" if v.sound.isChecked() else "false",
            "join_time_period": str(v.join_time.value()),
            "duis_schema": v.schema.text(),
            "s1sp_cohorts": v.s1sp_cohorts.text(),
            "text_scale": str(v.text_scale.currentData()),
            "high_contrast": "true" if v.high_contrast.isChecked() else "false",
        }

    def validate(self) -> tuple[dict[str, str], dict[str, str]]:
        """(values that parse, errors by key), using the settings store's own parsers."""
        from app.store.settings import require_spec

        good: dict[str, str] = {}
        errors: dict[str, str] = {}
        for key, text in self.edited_values().items():
            try:
                require_spec(key).parse(text)
            except DomainInputError as exc:
                errors[key] = str(exc)
            else:
                good[key] = text
        schema = good.get("duis_schema", "").strip()
        if schema and not Path(schema).expanduser().is_file():
            errors["duis_schema"] = self.tr("no file at %1").replace("%1", schema)
            good.pop("duis_schema")
        # A new data folder is tried (created, written to) on a worker by the window, which
        # answers with ``data_dir_refused`` when it cannot be used: a slow or dead network
        # share must not freeze the pane.
        return good, errors

    def _new_data_dir(self) -> Path | None:
        """The data folder typed in the field when it differs from the one in use (and may be changed)."""
        text = self.view.data_dir.text().strip()
        if self._data_dir_locked or not text:
            return None
        chosen = Path(text).expanduser()
        return chosen if chosen != self._data_dir else None

    def save(self) -> bool:
        good, errors = self.validate()
        v = self.view
        for key, label in v.errors.items():
            if key in errors:
                label.setText("✖ " + errors[key])
                label.setStyleSheet("color: #B71C1C; font-weight: bold;")
                label.show()
            else:
                label.hide()
        if errors:
            first = next(iter(errors))
            buddy = v.labels[first].buddy()
            if buddy is not None:
                buddy.setFocus()
            v.summary.setText(
                self.tr("Not saved: %1 field(s) need fixing (shown in red).").replace("%1", str(len(errors)))
            )
            return False
        chosen = self._new_data_dir()
        if chosen is not None:
            # The rest is saved once the window has tried the folder (data_dir_accepted), so a
            # refused folder leaves everything as it was, like any other field in red.
            self._waiting_for_folder = good
            v.summary.setText(self.tr("Trying the data folder %1…").replace("%1", str(chosen)))
            self.dataDirChosen.emit(str(chosen))
            return True
        v.summary.setText(self.tr("Saving…"))
        self.saveRequested.emit(good)
        return True

    def data_dir_accepted(self) -> None:
        """The chosen data folder is usable (and remembered): save the other settings now."""
        good, self._waiting_for_folder = self._waiting_for_folder, None
        if good is not None:
            self.view.summary.setText(self.tr("Saving…"))
            self.saveRequested.emit(good)

    def data_dir_refused(self, problem: str) -> None:
        """The chosen data folder cannot hold HubCheck's data: say why beside the field; nothing
        is saved."""
        self._waiting_for_folder = None
        label = self.view.errors["data_dir"]
        label.setText("✖ " + problem)
        label.setStyleSheet("color: #B71C1C; font-weight: bold;")
        label.show()
        self.view.summary.setText(self.tr("Not saved: the data folder cannot be used (shown in red)."))
        self.view.data_dir.setFocus()

    def saved(self, values: dict[str, Any], note: str = "") -> None:
        self.show_values(values)
        self.view.summary.setText(self.tr("Saved.") + (" " + note if note else ""))

    def save_failed(self, message: str) -> None:
        self.view.summary.setText(self.tr("Not saved: %1").replace("%1", message))

    def list_cameras(self) -> None:
        """Fill the camera list the first time the pane is shown (QtMultimedia loads only then)."""
        if self._cameras_listed:
            return
        self._cameras_listed = True
        try:
            from PySide6.QtMultimedia import QMediaDevices
        except ImportError:
            return
        current = self.view.camera.currentText()
        for device in QMediaDevices.videoInputs():
            self.view.camera.addItem(device.description())
        self.view.camera.setEditText(current)
