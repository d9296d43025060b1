"""A module imported on its first use: what the window's workers and error paths need loads
after the first paint, while the window's modules can name it at the top."""

from __future__ import annotations

import importlib
from typing import Any


class Deferred:
    """Stands for the module ``name`` and imports it when an attribute is first read."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)
