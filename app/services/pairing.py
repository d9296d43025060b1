"""Check a scanned PPMID against a scanned hub: the use case behind the banner and ``hubcheck check``."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.devices import DeviceRecord, merge_records, rank_records
from app.domain.labels import LabelData, parse_label
from app.domain.rules import PairingInput, Verdict, evaluate_pairing, install_code_source
from app.domain.smets import Generation, Regime, parse_regime, parse_s1sp_cohorts
from app.services.context import AppContext


@dataclass(frozen=True, slots=True)
class PairingResult:
    verdict: Verdict
    ppmid: LabelData
    hub: LabelData
    ppmid_record: DeviceRecord | None
    hub_record: DeviceRecord | None
    regime_source: str = "local"
    # Every stored record of each device (job packs and the DCC's 8.2), strongest first.
    ppmid_sources: tuple[DeviceRecord, ...] = ()
    hub_sources: tuple[DeviceRecord, ...] = ()

    def to_json(self) -> dict[str, object]:
        v = self.verdict
        return {
            "level": v.level.value,
            "regime": v.regime.value,
            "regime_source": self.regime_source,
            "resulting_smets": v.resulting_smets.value if v.resulting_smets else None,
            "reasons": [r.to_json() for r in v.reasons],
            "remedies": [r.to_json() for r in v.remedies],
            "ppmid": {
                "device_id": str(self.ppmid.device_id),
                "install_code": self.ppmid.install_code.code_hex if self.ppmid.install_code_ok and self.ppmid.install_code else None,
                "install_code_read": self.ppmid.has_install_code,
                "install_code_problem": self.ppmid.install_code_problem,
                "install_code_source": install_code_source(self.ppmid, self.ppmid_record),
                "prenotified_smets": v.prenotified_smets.value if v.prenotified_smets else None,
                "bilingual": v.bilingual,
                "cpl_entry": v.ppmid_cpl_entry.to_json() if v.ppmid_cpl_entry else None,
                "record": self.ppmid_record.to_json() if self.ppmid_record else None,
                "resulting_cpl_entry": v.resulting_cpl_entry.to_json() if v.resulting_cpl_entry else None,
                "sources": [r.to_json() for r in self.ppmid_sources],
            },
            "hub": {
                "device_id": str(self.hub.device_id),
                "smets": v.hub_smets.value if v.hub_smets else None,
                "cpl_entry": v.hub_cpl_entry.to_json() if v.hub_cpl_entry else None,
                "record": self.hub_record.to_json() if self.hub_record else None,
                "smets_given": v.hub_generation_given.value if v.hub_generation_given else None,
                "s1sp": v.s1sp or None,
                "smets1_cohort": v.cohort.value if v.cohort else None,
                "sources": [r.to_json() for r in self.hub_sources],
            },
        }


def check_labels(
    ctx: AppContext,
    ppmid: LabelData,
    hub: LabelData,
    *,
    regime: Regime | None = None,
    hub_smets: Generation | None = None,
) -> PairingResult:
    """Gather records and CPL entries for both devices and judge the pairing."""
    from app.store import cpl_repo, device_repo

    source = "override" if regime is not None else str(ctx.setting("regime_source"))
    if regime is None:
        regime = parse_regime(str(ctx.setting("regime")))
    cohorts = parse_s1sp_cohorts(str(ctx.setting("s1sp_cohorts") or ""))
    with ctx.engine.connect() as conn:
        ppmid_sources = tuple(rank_records(device_repo.records_for(conn, ppmid.device_id)))
        hub_sources = tuple(rank_records(device_repo.records_for(conn, hub.device_id)))
        ppmid_record = merge_records(list(ppmid_sources))
        hub_record = merge_records(list(hub_sources))
        ppmid_entries = (
            cpl_repo.entries_for_model(conn, ppmid_record.manufacturer_id, ppmid_record.model_id)
            if ppmid_record
            else []
        )
        hub_entries = (
            cpl_repo.entries_for_model(conn, hub_record.manufacturer_id, hub_record.model_id) if hub_record else []
        )
    verdict = evaluate_pairing(
        PairingInput(
            ppmid_scan=ppmid,
            hub_scan=hub,
            regime=regime,
            ppmid_record=ppmid_record,
            hub_record=hub_record,
            ppmid_model_entries=ppmid_entries,
            hub_model_entries=hub_entries,
            hub_generation_given=hub_smets,
            ppmid_records=ppmid_sources,
            hub_records=hub_sources,
            s1sp_cohorts=cohorts,
        )
    )
    return PairingResult(verdict, ppmid, hub, ppmid_record, hub_record, source, ppmid_sources, hub_sources)


def check_texts(
    ctx: AppContext,
    ppmid_text: str,
    hub_text: str,
    *,
    regime: Regime | None = None,
    hub_smets: Generation | None = None,
) -> PairingResult:
    """Parse raw scanner text for both devices (LabelError on unreadable text) and check them."""
    return check_labels(ctx, parse_label(ppmid_text), parse_label(hub_text), regime=regime, hub_smets=hub_smets)
