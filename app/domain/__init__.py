"""Pure-Python core of HubCheck: identifiers, install codes, SMETS rules, CPL model, DUIS.

Nothing in this package may import Qt, SQLAlchemy, httpx or touch files: it must be
importable and testable anywhere, and fast enough to run on every scan.
"""
