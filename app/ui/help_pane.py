"""F1: a short help pane beside the work, not a dialog in front of it.

An installer on a meter box wants the answer without losing the screen: the keys, what
each verdict means, and what to do after a STOP. The pane docks at the window's side,
opens and closes with F1 (or Escape when it has the focus) and never blocks the visit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QTextBrowser, QWidget


def help_html() -> str:
    """The help text (HTML). Plain sentences, each a whole thought, for translation later."""
    return """
<h2>Keys</h2>
<table cellspacing="4">
<tr><td><b>Ctrl+F</b></td><td>Find the job (reference, postcode or a device ID)</td></tr>
<tr><td><b>F2</b> / <b>F3</b></td><td>Scan the PPMID / the Communications Hub</td></tr>
<tr><td><b>Ctrl+Enter</b></td><td>Record the install</td></tr>
<tr><td><b>Ctrl+N</b></td><td>New visit: clear both scans, keep the job</td></tr>
<tr><td><b>F5</b></td><td>Sync now</td></tr>
<tr><td><b>Ctrl+1 / 2 / 3</b></td><td>Check, Queue, Settings</td></tr>
<tr><td><b>Ctrl+M</b></td><td>Mute or unmute the sounds</td></tr>
<tr><td><b>F1</b></td><td>Open or close this help</td></tr>
</table>
<p>A barcode scanner works wherever the focus is: its label lands in the right scan field.</p>
<h2>What the verdict means</h2>
<p><b>OK</b> (tick): pair this PPMID with this hub.</p>
<p><b>WARNING</b> (triangle): pairing is possible; read each warning and what to do first.</p>
<p><b>STOP</b> (octagon): do not pair. The reasons say why.</p>
<p><b>UNKNOWN</b> (question mark): the hub's SMETS generation is not known. Give it from the
hub's label (the Hub generation box appears), or import the job pack that lists the hub.</p>
<p>The <b>resulting version</b> is the SMETS version the PPMID will have once joined. Under
MP202 it follows the hub, whatever was pre-notified.</p>
<h2>After a STOP</h2>
<p>If the STOP says <b>re-scan</b> (the same label twice, labels swapped, another device's
label, an install code that fails its check), scan the labels again: such a STOP cannot be
recorded, even with a reason.</p>
<p>If it says the PPMID <b>will not work with this hub</b>, fit a PPMID that was
pre-notified for the hub's generation, or ask the back office.</p>
<p>If the devices <b>belong to another job</b>, switch to that job with the button offered.</p>
<p>Otherwise you may record the visit with an <b>override reason</b>: it is kept and sent to the
back office with the visit.</p>
<p>Nothing you record is lost when there is no network: the Queue tab shows every request
waiting to be sent.</p>
"""


class HelpPane(QDockWidget):
    """The help dock (objectName ``helpPane``); its text browser is ``helpText``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("helpPane")
        self.setWindowTitle(self.tr("Help (F1)"))
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.setAllowedAreas(Qt.DockWidgetArea.RightDockWidgetArea | Qt.DockWidgetArea.LeftDockWidgetArea)
        self.text = QTextBrowser(self)
        self.text.setObjectName("helpText")
        self.text.setAccessibleName(self.tr("Help"))
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(help_html())
        self.setWidget(self.text)
        self.setMinimumWidth(320)
