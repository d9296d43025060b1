"""The objectName reference: every named widget of the main window, read from a live window.

docs/testing.md carries the table this prints, and a test checks the two agree, so the
reference a tester reads is the window's, not a list someone remembered. Regenerate it
with ``QT_QPA_PLATFORM=offscreen python -m app.testing.names``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

#: Named objects that are not part of what a tester drives (layout containers kept out of the table).
_SKIP_PREFIXES = ("qt_",)


def object_names(window: Any) -> dict[str, str]:
    """objectName → the Qt widget class it is (its nearest PySide6 base), sorted by name."""
    from PySide6.QtWidgets import QWidget

    found: dict[str, str] = {}
    for widget in [window, *window.findChildren(QWidget)]:
        name = widget.objectName()
        if not name or name.startswith(_SKIP_PREFIXES) or name in found:
            continue
        found[name] = _qt_class(type(widget))
    return dict(sorted(found.items(), key=lambda item: item[0].lower()))


def _qt_class(kind: type) -> str:
    for base in kind.__mro__:
        if base.__module__.startswith("PySide6."):
            return base.__name__
    return kind.__name__


def render_reference(names: dict[str, str]) -> str:
    """The Markdown table docs/testing.md carries."""
    lines = ["| objectName | Qt class |", "|---|---|"]
    lines += [f"| `{name}` | {kind} |" for name, kind in names.items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Open the window as the ``hubcheck_window`` fixture does (sample data, shown, cache open)
    and print the table."""
    from app.services.paths import SAMPLE_DIR
    from app.testing.bot import ScriptBot
    from app.ui import ensure_app, launch

    ensure_app()
    bot = ScriptBot()
    with tempfile.TemporaryDirectory() as folder:
        from app.services.context import AppContext
        from app.services.cpl_import import import_cpl
        from app.services.jobs_import import import_jobs_file

        ctx = AppContext(Path(folder))
        try:
            import_cpl(ctx, SAMPLE_DIR / "cpl.csv")
            import_jobs_file(ctx, SAMPLE_DIR / "jobpack.json")
        finally:
            ctx.close()
        window = launch(Path(folder))
        with bot.waitSignal(window.cacheOpened, timeout=15_000):
            window.show()
        bot.waitUntil(lambda: window.runner.pending == 0, timeout=15_000)
        sys.stdout.write(render_reference(object_names(window)))
        window.shutdown(10_000)
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
