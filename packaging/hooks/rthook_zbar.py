"""Runtime hook: let pyzbar find the zbar library shipped inside the build.

pyzbar looks for libzbar on Linux and macOS with ``ctypes.util.find_library("zbar")``,
which asks ldconfig (the system's library cache) and never looks inside the build: on a
laptop without the libzbar0 package it would fail, and on one with it, it would load a
library the build was not tested with. This hook answers "zbar" with the bundled copy.

It waits for pyzbar's loader to be imported before touching ctypes (importing
``ctypes.util`` pulls in subprocess and costs start-up time the window does not owe it).
On Windows pyzbar loads the DLLs shipped in its own package folder, which the spec
collects, so nothing is needed there.
"""

import os
import sys


def _bundled_zbar():
    here = getattr(sys, "_MEIPASS", None)
    if here is None:
        return None
    for name in sorted(os.listdir(here)):
        if name.startswith("libzbar.so"):
            return os.path.join(here, name)
    return None


def _point_find_library_at(path):
    import ctypes.util

    original = ctypes.util.find_library

    def find_library(name):
        return path if name == "zbar" else original(name)

    ctypes.util.find_library = find_library


class _BeforePyzbarLoads:
    """A meta-path entry that finds nothing: it only notices pyzbar's loader being imported."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "pyzbar.zbar_library":
            sys.meta_path.remove(self)
            bundled = _bundled_zbar()
            if bundled is not None:
                _point_find_library_at(bundled)
        return None


if sys.platform != "win32":
    sys.meta_path.insert(0, _BeforePyzbarLoads())
