"""Camera and picture scanning in the window, with generated frames (no camera, no binary fixtures)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage

from app.testing.samples import case_for
from tests.scan_helpers import png_bytes, symbol

pytest_plugins = ["app.testing.plugin"]


def _qr(text: str) -> QImage:
    image = QImage.fromData(png_bytes(symbol(text, "qr", module_px=6)))
    assert not image.isNull()
    return image


def test_camera_fills_ppmid_then_hub_and_closes(hubcheck, fake_camera) -> None:
    case = case_for("OK under both regimes")
    hubcheck.pick_job(case.job_ref)
    fake_camera.show(_qr(case.ppmid_label))
    fake_camera.open("ppmid")
    hubcheck.qtbot.waitUntil(lambda: hubcheck.window.view.ppmid.label is not None, timeout=10_000)
    assert str(hubcheck.window.view.ppmid.label.device_id) == "0A-1B-2C-00-00-00-00-14"
    assert "hub" in hubcheck.text("cameraStatusLabel")  # it now reads into the hub field

    fake_camera.show(_qr(case.hub_label))
    hubcheck.qtbot.waitUntil(lambda: hubcheck.window.view.hub.label is not None, timeout=10_000)
    hubcheck.wait_verdict("ok")
    assert not hubcheck.widget("cameraPane").isVisible()


def test_dropping_a_label_photo_fills_the_next_field(hubcheck, tmp_path) -> None:
    case = case_for("OK under both regimes")
    photo = tmp_path / "ppmid-label.png"
    photo.write_bytes(png_bytes(symbol(case.ppmid_label, "qr", module_px=5)))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    hubcheck.window.dropEvent(event)
    hubcheck.qtbot.waitUntil(lambda: hubcheck.window.view.ppmid.label is not None)
    assert hubcheck.window.view.ppmid.label.install_code_ok
