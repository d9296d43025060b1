"""The tester kit: a pytest plugin with fixtures and a driver for HubCheck's main window.

Installing ``hubcheck`` registers the plugin with pytest (the ``pytest11`` entry point
``hubcheck``); inside this repository ``pytest_plugins = ["app.testing.plugin"]`` loads the
same module and is not registered twice. docs/testing.md is the tester's guide: the
fixtures (``hubcheck_home``, ``hubcheck_cpl``, ``hubcheck_jobs``, ``hubcheck_window``,
``hubcheck``, ``fake_camera``, ``fake_scanner``, ``backoffice``), the driver and the
objectName reference. Nothing in the application imports this package.

The names below load on first use (PEP 562): a project that has the plugin installed but
never uses a fixture must not pay for Qt, SQLAlchemy or the back office at collection.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.testing.driver import HubCheckDriver, Verdict
    from app.testing.labels import label_image, label_png
    from app.testing.samples import SampleCase, case_for, load_sample_cases

__all__ = ["HubCheckDriver", "SampleCase", "Verdict", "case_for", "label_image", "label_png", "load_sample_cases"]

_WHERE = {
    "HubCheckDriver": "app.testing.driver",
    "Verdict": "app.testing.driver",
    "label_image": "app.testing.labels",
    "label_png": "app.testing.labels",
    "SampleCase": "app.testing.samples",
    "case_for": "app.testing.samples",
    "load_sample_cases": "app.testing.samples",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'app.testing' has no attribute {name!r}")
    return getattr(import_module(module), name)
