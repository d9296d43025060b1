"""A burst of keys judged as a scanner's or a person's: thresholds and the timing logic.

Shared by the window-wide wedge detector (:mod:`app.scan.wedge`), which catches a burst
wherever the focus is, and by :class:`~app.scan.field.ScanField`, which reads a burst typed
straight into it and records whether a scanner or a person entered the label. Qt-free on
purpose: the suffix keys are Qt's key codes as plain numbers, so this loads with neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab (Qt's key codes are stable numbers).
_SUFFIXES = (0x01000004, 0x01000005, 0x01000001)


@dataclass(frozen=True, slots=True)
class WedgeConfig:
    """Burst thresholds. Defaults from ANCHORS.md §5 (onScan.js)."""

    avg_ms_per_char: float = 30.0  # a burst's mean time per character must not exceed this
    min_length: int = 6  # shorter bursts are typing (device IDs are 16+ characters anyway)
    scan_timeout_ms: int = 100  # silence that ends a burst; also the most a typed key is delayed
    suffix_keys: tuple[int, ...] = _SUFFIXES  # Qt key codes that end a scan
    require_suffix: bool = True  # False: a fast burst ended by silence also counts (scanners with no suffix)

    def __post_init__(self) -> None:
        if self.avg_ms_per_char <= 0 or self.min_length < 1 or self.scan_timeout_ms < 1:
            raise ValueError("wedge thresholds must be positive")


@dataclass(slots=True)
class BurstTracker:
    """Qt-free timing logic: characters with their arrival times, judged as a scan or not."""

    config: WedgeConfig
    chars: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def gap_breaks(self, now_ms: float) -> bool:
        """True when ``now_ms`` is too long after the last key for both to be one burst, or
        before it (a key timed on another clock than the burst so far)."""
        if not self.times:
            return False
        gap = now_ms - self.times[-1]
        return gap < 0 or gap > self.config.scan_timeout_ms

    def add(self, char: str, now_ms: float) -> None:
        self.chars.append(char)
        self.times.append(now_ms)

    def is_scan(self, end_ms: float) -> bool:
        """Long enough, and the mean time per character (first key to the end) fast enough."""
        if len(self.chars) < self.config.min_length or end_ms < self.times[0]:
            return False
        return (end_ms - self.times[0]) / len(self.chars) <= self.config.avg_ms_per_char

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def clear(self) -> None:
        self.chars.clear()
        self.times.clear()
