"""Typed, versioned settings in ``settings.json`` beside the database.

Keys are snake_case and part of the command-line contract (``hubcheck settings get
KEY``): add keys, never rename. A settings file that cannot be read is set aside as
``settings.json.bad-<time>`` and replaced by defaults, and the caller is told why, so a
corrupted file never stops an installer from working.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlparse

from app.domain.errors import DomainInputError
from app.domain.ids import DeviceIdError, parse_device_id
from app.domain.smets import DEFAULT_REGIME, format_s1sp_cohorts, parse_regime, parse_s1sp_cohorts

SETTINGS_VERSION = 1
FILE_NAME = "settings.json"


class SettingError(DomainInputError):
    """An unknown key or a value the key does not allow; the message lists what is allowed."""


class SettingSpec(NamedTuple):
    key: str
    default: Any
    parse: Callable[[str], Any]
    allowed: str
    secret: bool = False


def _regime(value: str) -> str:
    try:
        return parse_regime(value).value
    except DomainInputError:
        raise SettingError(f"regime {value!r} is not allowed; allowed values: tactical, mp202") from None


def _originator(value: str) -> str:
    if not value.strip():
        return ""
    try:
        return str(parse_device_id(value))
    except DeviceIdError as exc:
        raise SettingError(f"originator_id must be an EUI-64 such as 90-B3-D5-1F-30-01-00-00: {exc}") from None


def _url(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingError(f"backoffice_url {value!r} must be an http:// or https:// address with a host")
    return value.rstrip("/")


def _refuse_plain_http(value: Any) -> None:
    """Saving a plain http:// address off this machine is refused. Only on saving: a file
    from before this rule still loads (its URL is kept), and ``hubcheck sync`` then refuses
    to use it with the same reason, so the installer learns what to change."""
    # Imported here: app.sync loads SQLAlchemy and httpx, which the window's first paint must
    # not wait for (settings are read before it; a URL is only checked when saved).
    from app.sync.client import plain_http_refusal

    refusal = plain_http_refusal(str(value))
    if refusal is not None:
        raise SettingError(f"backoffice_url: {refusal}")


#: Checks a value must pass to be saved (beyond its parser, which also runs on load).
SAVE_CHECKS: dict[str, Callable[[Any], None]] = {"backoffice_url": _refuse_plain_http}


def _ca_file(value: str) -> str:
    """A PEM file of the CA(s) the back office's certificate is checked against; empty: the
    system trust store. Checked when saved so a typo is caught here, not at the next sync."""
    value = value.strip()
    if not value:
        return ""
    path = Path(value).expanduser()
    try:
        head = path.read_bytes()[:1_000_000]
    except OSError as exc:
        raise SettingError(f"backoffice_ca {value!r} cannot be read: {exc.strerror or exc}") from None
    if b"-----BEGIN CERTIFICATE-----" not in head:
        raise SettingError(f"backoffice_ca {value!r} is not a PEM certificate file (-----BEGIN CERTIFICATE-----)")
    return str(path.resolve())


def _s1sp_cohorts(value: str) -> str:
    try:
        return format_s1sp_cohorts(parse_s1sp_cohorts(value))
    except DomainInputError as exc:
        raise SettingError(
            f"s1sp_cohorts {exc}; allowed: S1SP=COHORT pairs separated by commas, COHORT one of IOC, MOC-Secure, FOC"
        ) from None


def _text(value: str) -> str:
    return value.strip()


def _laptop_id(value: str) -> str:
    """The laptop's own id (a UUID HubCheck makes once); the journal it sends is filed under it."""
    import uuid

    value = value.strip()
    if not value:
        return ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise SettingError(f"laptop_id {value!r} is not a UUID; HubCheck sets it once by itself") from None


def _choice(key: str, choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        v = value.strip().lower()
        if v not in choices:
            raise SettingError(f"{key} {value!r} is not allowed; allowed values: {', '.join(choices)}")
        return v

    return parse


def _int_range(key: str, low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise SettingError(f"{key} must be a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise SettingError(f"{key} must be from {low} to {high}; got {number}")
        return number

    return parse


def _int_choice(key: str, choices: tuple[int, ...]) -> Callable[[str], int]:
    def parse(value: str) -> int:
        text = str(value).strip().rstrip("%").strip()
        if not text.isdigit() or int(text) not in choices:
            raise SettingError(f"{key} {value!r} is not allowed; allowed values: {', '.join(map(str, choices))}")
        return int(text)

    return parse


def _bool(key: str) -> Callable[[str], bool]:
    def parse(value: str) -> bool:
        v = str(value).strip().lower()
        if v in ("1", "true", "yes", "on"):
            return True
        if v in ("0", "false", "no", "off"):
            return False
        raise SettingError(f"{key} must be true or false")

    return parse


SPECS: dict[str, SettingSpec] = {
    s.key: s
    for s in (
        SettingSpec("regime", DEFAULT_REGIME.value, _regime, "tactical, mp202"),
        SettingSpec("regime_source", "local", _choice("regime_source", ("local", "backoffice")), "local, backoffice"),
        # When the regime took effect (the back office's date) or was changed here; shown beside it.
        SettingSpec("regime_since", "", _text, "an ISO date or time; set by HubCheck"),
        SettingSpec("originator_id", "", _originator, "an EUI-64, e.g. 90-B3-D5-1F-30-01-00-00"),
        SettingSpec("backoffice_url", "", _url, "an http(s) URL"),
        SettingSpec("backoffice_token", "", _text, "the token the back office issued", secret=True),
        # Made once on first use, kept for ever (also in the audit journal, which restores it).
        SettingSpec("laptop_id", "", _laptop_id, "a UUID; set by HubCheck once, never changed"),
        SettingSpec("backoffice_ca", "", _ca_file, "a PEM CA file for the back office's certificate; empty: the system's"),
        SettingSpec("duis_schema", "", _text, "path to a DUIS v5.4 XSD file"),
        SettingSpec("decoder", "zxing", _choice("decoder", ("zxing", "zbar")), "zxing, zbar"),
        SettingSpec("camera", "", _text, "a camera name, or empty for the default"),
        SettingSpec("wedge_max_interval_ms", 35, _int_range("wedge_max_interval_ms", 5, 500), "5-500"),
        SettingSpec("wedge_min_length", 8, _int_range("wedge_min_length", 3, 64), "3-64"),
        SettingSpec("sound_enabled", True, _bool("sound_enabled"), "true, false"),
        SettingSpec("join_time_period", 3600, _int_range("join_time_period", 1, 3600), "1-3600 seconds"),
        # The window's text size in per cent (arm's-length reading) and a high-contrast palette
        # (bright sun, tired eyes); both are applied at once when saved.
        SettingSpec("text_scale", 100, _int_choice("text_scale", (100, 125, 150)), "100, 125, 150 (per cent)"),
        SettingSpec("high_contrast", False, _bool("high_contrast"), "true, false"),
        # Which SMETS1 cohort each S1SP value of an 8.2 record means (the supplier knows);
        # values not listed are judged by their name (DOMAIN A5).
        SettingSpec(
            "s1sp_cohorts",
            "",
            _s1sp_cohorts,
            "S1SP=COHORT pairs separated by commas (COHORT: IOC, MOC-Secure, FOC), e.g. S1SP-B=FOC",
        ),
    )
}


class SettingsLoad(NamedTuple):
    values: dict[str, Any]
    problem: str | None = None


class SettingsStore:
    """Reads and writes ``settings.json`` atomically."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME

    def load(self) -> SettingsLoad:
        values = {key: spec.default for key, spec in SPECS.items()}
        if not self.path.exists():
            return SettingsLoad(values)
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("the top level is not an object")
            version = raw.get("version", SETTINGS_VERSION)
            if not isinstance(version, int) or version > SETTINGS_VERSION:
                raise ValueError(f"settings version {version!r} is newer than this HubCheck understands")
            stored = raw.get("values", {})
            if not isinstance(stored, dict):
                raise ValueError("'values' is not an object")
        except (ValueError, OSError) as exc:
            aside = self._set_aside()
            return SettingsLoad(
                {key: spec.default for key, spec in SPECS.items()},
                f"the settings file could not be read ({exc}); defaults are in use and the bad file "
                f"was kept as {aside.name}",
            )
        refused: list[str] = []
        for key, value in stored.items():
            if key not in SPECS:
                continue
            try:
                values[key] = SPECS[key].parse(str(value).lower() if isinstance(value, bool) else str(value))
            except DomainInputError as exc:
                refused.append(f"{key}: {exc}")
        if refused:
            # Keep every good value; set the file with the bad ones aside and write a clean one,
            # so the installer is told once and nothing valid is lost.
            aside = self._set_aside()
            with contextlib.suppress(OSError):
                self._write(values)
            return SettingsLoad(
                values,
                f"some settings were not valid and are back to their defaults ({'; '.join(refused)}); "
                f"the file as it was is kept as {aside.name}",
            )
        return SettingsLoad(values)

    def get(self, key: str) -> Any:
        spec = require_spec(key)
        return self.load().values.get(spec.key, spec.default)

    def set(self, key: str, value: str) -> Any:
        spec = require_spec(key)
        parsed = spec.parse(value)
        if key in SAVE_CHECKS:
            SAVE_CHECKS[key](parsed)
        values = self.load().values
        values[key] = parsed
        self._write(values)
        return parsed

    def set_many(self, updates: dict[str, str]) -> None:
        values = self.load().values
        for key, value in updates.items():
            values[key] = require_spec(key).parse(value)
            if key in SAVE_CHECKS:
                SAVE_CHECKS[key](values[key])
        self._write(values)

    def _write(self, values: dict[str, Any]) -> None:
        import tempfile  # deferred: the window reads settings before its first paint, writes later

        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"version": SETTINGS_VERSION, "values": values}, indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _set_aside(self) -> Path:
        from datetime import UTC, datetime  # a damaged file is rare; start-up does not pay for it

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        aside = self.path.with_name(f"{FILE_NAME}.bad-{stamp}")
        with contextlib.suppress(OSError):
            os.replace(self.path, aside)
        return aside


def require_spec(key: str) -> SettingSpec:
    spec = SPECS.get(key)
    if spec is None:
        raise SettingError(f"unknown setting {key!r}; known settings: {', '.join(sorted(SPECS))}")
    return spec
