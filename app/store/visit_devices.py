"""Which job, and which DCC inventory read, a device of a visit belongs to.

Recording a visit checks the meter the PPMID joins and the scanned devices against the job
chosen (DOMAIN A5, the meter): these reads answer "which jobs list this device, and as what",
and "was this device listed in the same 8.2 response as the hub". The second uses the import
time: every record of one Read Inventory response is written by one import, at one instant,
and a Read Inventory answers for one property, so the devices imported with the hub's record
are the DCC's inventory for that hub.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True, slots=True)
class DeviceOwners:
    """What the local data says about one device ID: the jobs listing it and its DCC record."""

    #: ``(job_ref, device_type)`` for each job pack record of the device.
    jobs: tuple[tuple[str, str | None], ...]
    #: The device type of its latest DCC inventory record, "" when it has one with no type,
    #: None when it has none.
    inventory_type: str | None
    #: The device was listed in the same 8.2 response as the hub asked about.
    listed_with_hub: bool

    def type_in(self, job_ref: str) -> str | None:
        """The device type the job ``job_ref`` lists it as ("" for none given), or None if it does not list it."""
        for ref, kind in self.jobs:
            if ref == job_ref:
                return kind or ""
        return None

    @property
    def other_jobs(self) -> tuple[str, ...]:
        return tuple(sorted({ref for ref, _ in self.jobs}))


def owners(conn: Connection, device_id: str, hub_id: str | None = None) -> DeviceOwners:
    """The jobs listing ``device_id``, its inventory type, and whether it came in one 8.2 read with ``hub_id``."""
    jobs = tuple(
        (str(ref), kind)
        for ref, kind in conn.execute(
            text(
                "SELECT job_ref, device_type FROM devices WHERE device_id = :d AND source = 'jobpack' "
                "AND job_ref IS NOT NULL ORDER BY job_ref, id"
            ),
            {"d": device_id},
        ).all()
    )
    inventory = conn.execute(
        text(
            "SELECT device_type FROM devices WHERE device_id = :d AND source = 'inventory' "
            "ORDER BY imported_at DESC, id DESC LIMIT 1"
        ),
        {"d": device_id},
    ).first()
    with_hub = False
    if hub_id is not None and inventory is not None:
        with_hub = (
            conn.execute(
                text(
                    "SELECT 1 FROM devices AS m JOIN devices AS h ON h.imported_at = m.imported_at "
                    "WHERE m.device_id = :d AND m.source = 'inventory' "
                    "AND h.device_id = :h AND h.source = 'inventory' LIMIT 1"
                ),
                {"d": device_id, "h": hub_id},
            ).first()
            is not None
        )
    return DeviceOwners(jobs, None if inventory is None else (inventory[0] or ""), with_hub)
