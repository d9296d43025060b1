"""Capturing device IDs: barcode decoding, camera frames, keyboard-wedge scanners, label images.

This package is imported by the main window before it paints, so nothing heavy is
imported here: QtMultimedia, zxing-cpp, numpy and Pillow load on first use inside the
submodules (``decoders``, ``frames``, ``images``, ``camera``, ``wedge``, ``field``).
"""
