"""SQLAlchemy 2.0 typed models of the local cache.

Personal data (MPxN, address, postcode) sits in columns of its own, named so, so it can
be encrypted at rest, redacted in exports and purged after retention on its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class _CplEntryColumns:
    """The columns of a CPL entry, shared by the cache and the previous CPL kept beside it."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_type: Mapped[str] = mapped_column(String(8))
    manufacturer_id: Mapped[str] = mapped_column(String(32))
    manufacturer_name: Mapped[str] = mapped_column(String(120), default="")
    model_id: Mapped[str] = mapped_column(String(32))
    hardware_version: Mapped[str] = mapped_column(String(32), default="")
    firmware_version: Mapped[str] = mapped_column(String(32), default="")
    smets_generation: Mapped[str | None] = mapped_column(String(8), nullable=True)
    smets_chts_version: Mapped[str] = mapped_column(String(40), default="")
    gbcs_version: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(10), default="Active")
    image_hash: Mapped[str] = mapped_column(String(128), default="")
    date_added: Mapped[str] = mapped_column(String(32), default="")
    source_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    extra_json: Mapped[str] = mapped_column(Text, default="")


class CplEntryRow(_CplEntryColumns, Base):
    __tablename__ = "cpl_entries"

    __table_args__ = (Index("ix_cpl_model", "manufacturer_id", "model_id"),)


class CplPreviousEntryRow(_CplEntryColumns, Base):
    """The CPL an import replaced, kept so ``hubcheck cpl restore`` can bring it back.

    Never looked up, so it has no index. An import renames ``cpl_entries`` to this table
    (no copy of 100,000 rows) and a restore swaps the two names back.
    """

    __tablename__ = "cpl_previous_entries"


class CplImportRow(Base):
    """One successful CPL import: what the status bar shows as the cache's date and size."""

    __tablename__ = "cpl_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(260))
    file_date: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    row_count: Mapped[int] = mapped_column(Integer)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    # "file": the date is stated in the file's content or name; "modified": its modification time.
    file_date_source: Mapped[str] = mapped_column(String(8), default="modified", server_default="modified")
    # "current" (the cache holds its rows), "previous" (kept for a restore) or None (history).
    cache_slot: Mapped[str | None] = mapped_column(String(8), nullable=True)


class JobRow(Base):
    __tablename__ = "jobs"

    job_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    personal_mpxn: Mapped[str] = mapped_column(String(13), default="")
    personal_address_lines: Mapped[str] = mapped_column(Text, default="[]")
    personal_postcode: Mapped[str] = mapped_column(String(10), default="")
    visit_date: Mapped[str] = mapped_column(String(10), default="")
    source_file: Mapped[str] = mapped_column(String(260), default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime)


class DeviceRow(Base):
    """A device as a job pack or the DCC inventory describes it; one row per source record."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(23), index=True)
    job_ref: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("jobs.job_ref", ondelete="CASCADE"), nullable=True, index=True
    )
    source: Mapped[str] = mapped_column(String(10))
    device_type: Mapped[str | None] = mapped_column(String(8), nullable=True)
    manufacturer_id: Mapped[str] = mapped_column(String(32), default="")
    model_id: Mapped[str] = mapped_column(String(32), default="")
    hardware_version: Mapped[str] = mapped_column(String(32), default="")
    firmware_version: Mapped[str] = mapped_column(String(32), default="")
    stated_generation: Mapped[str | None] = mapped_column(String(8), nullable=True)
    smets_chts_version: Mapped[str] = mapped_column(String(40), default="")
    smi_status: Mapped[str] = mapped_column(String(30), default="")
    cpl_status: Mapped[str] = mapped_column(String(10), default="")
    firmware_status: Mapped[str] = mapped_column(String(10), default="")
    csp_region: Mapped[str] = mapped_column(String(20), default="")
    has_s1sp: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    # A job pack's install code for the device (hex without its CRC; "" when none): schema step 5.
    install_code: Mapped[str] = mapped_column(String(32), default="", server_default="")


class DeviceS1spRow(Base):
    """The S1SP value (e.g. ``S1SP-B``) the DCC's 8.2 record names for a SMETS1 device.

    Kept beside the inventory row rather than in the devices table so no schema step is
    needed (the final create_all adds this table to existing databases); it is replaced
    together with the device's inventory record.
    """

    __tablename__ = "device_s1sp"

    device_id: Mapped[str] = mapped_column(String(23), primary_key=True)
    s1sp: Mapped[str] = mapped_column(String(64), default="")


# Tables other modules add to the same metadata, so create_all sees them (imported last: they use Base).
from app.store import inventory_decisions as _inventory_decisions  # noqa: E402,F401
from app.store import outbox_models as _outbox_models  # noqa: E402,F401
from app.store import review_models as _review_models  # noqa: E402,F401
