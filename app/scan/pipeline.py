"""Decoding as a pure function of a picture, and the stateful per-frame pipeline for the camera.

``decode_image`` is what files, the clipboard and drops use: one thorough pass.
``LiveDecoder`` is what the camera uses: a schedule of short fast-setting calls on cheap
copies of the frame (half size, rows averaged for Code 128, full size on alternate
frames) and, every Nth frame, inverted and quarter-turned copies — the periodic full
pass. Each call is short because zxing-cpp keeps the GIL while it decodes (one long
call would freeze the UI), and the pass that last found a code is tried first, so a
light-on-dark label keeps being read on consecutive frames: the camera only accepts a
code seen several frames in a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.scan.codes import DecodedCode
from app.scan.decoders import Decoder, choose_decoder, decode_safely
from app.scan.frames import FrameError, GreyFrame, Roi, half_scale, inverted, prepare, rotated90, squash_rows


def decode_image(
    image: Any,
    decoder: Decoder | None = None,
    *,
    roi: Roi | None = None,
    max_side: int | None = None,
    thorough: bool = True,
) -> list[DecodedCode]:
    """Every code in a numpy array, PIL image or QImage; [] for a picture that cannot be read."""
    try:
        grey = prepare(image, roi, max_side)
    except FrameError:
        return []
    return decode_safely(decoder or default_decoder(), grey, thorough=thorough)


_DEFAULT: Decoder | None = None


def default_decoder() -> Decoder:
    """One shared zxing-cpp decoder (it is stateless, so sharing across threads is safe)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = choose_decoder()
    return _DEFAULT


_STEPS: dict[str, Callable[[GreyFrame], GreyFrame]] = {
    "half": half_scale,
    "rows": squash_rows,
    "turn": rotated90,
    "invert": inverted,
}


@dataclass(frozen=True, slots=True)
class Pass:
    """One short decoder call on a transformed copy of the frame.

    ``steps`` name transforms from ``_STEPS`` applied in order (results are shared between
    passes of one frame). A pass runs on every ``every``-th frame, or, when ``periodic``,
    on every ``full_pass_every``-th frame: the periodic passes together make the full pass.
    """

    name: str
    steps: tuple[str, ...] = ()
    formats: tuple[str, ...] | None = None
    every: int = 1
    periodic: bool = False


# Measured on the benchmark's degraded frames (benchmarks/decode.py): the half-size pass
# reads most labels at a quarter of the cost, the squashed-rows pass rescues noisy Code 128,
# the full-resolution pass is needed for small symbols (alternate frames suffice, because
# the pass that found a code is tried first on the next frame), and the periodic passes
# catch light-on-dark and vertical labels.
ZXING_SCHEDULE: tuple[Pass, ...] = (
    Pass("half", ("half",)),
    Pass("rows", ("rows",), ("Code128",)),
    Pass("full", (), every=2),
    Pass("half-inverted", ("half", "invert"), periodic=True),
    Pass("rows-inverted", ("rows", "invert"), ("Code128",), periodic=True),
    Pass("rows-turned", ("turn", "rows"), ("Code128",), periodic=True),
    Pass("full-inverted", ("invert",), periodic=True),
)
# pyzbar smooths and halves inside ``decode`` and releases the GIL, so it needs no split.
GENERIC_SCHEDULE: tuple[Pass, ...] = (
    Pass("normal", ()),
    Pass("inverted", ("invert",), periodic=True),
)


def schedule_for(decoder: Decoder) -> tuple[Pass, ...]:
    return ZXING_SCHEDULE if decoder.name == "zxing" else GENERIC_SCHEDULE


class LiveDecoder:
    """Per-frame decoding for a video stream. Not thread-safe: one instance per worker."""

    def __init__(
        self,
        decoder: Decoder | None = None,
        *,
        roi: Roi | None = None,
        max_side: int | None = None,
        full_pass_every: int = 6,
        schedule: tuple[Pass, ...] | None = None,
    ) -> None:
        if full_pass_every < 1:
            raise ValueError("full_pass_every must be at least 1")
        self.decoder = decoder or default_decoder()
        self.roi = roi
        self.max_side = max_side
        self.full_pass_every = full_pass_every
        self.schedule = schedule or schedule_for(self.decoder)
        self._preferred: Pass | None = None
        self._frames = 0

    @property
    def preferred_pass(self) -> str | None:
        """The pass that found the last code (tried first on the next frame)."""
        return self._preferred.name if self._preferred else None

    def reset(self) -> None:
        self._preferred = None
        self._frames = 0

    def decode_frame(self, image: Any) -> list[DecodedCode]:
        """Codes in one frame; [] for an unreadable frame. Advances the full-pass schedule."""
        try:
            grey = prepare(image, self.roi, self.max_side)
        except FrameError:
            return []
        return self.decode_grey(grey)

    def decode_grey(self, grey: GreyFrame) -> list[DecodedCode]:
        frame = self._frames
        self._frames += 1
        cache: dict[tuple[str, ...], GreyFrame] = {(): grey}
        for step in self._order(frame):
            found = decode_safely(self.decoder, self._transformed(cache, step.steps), formats=step.formats)
            if found:
                self._preferred = step
                return found
            if step is self._preferred:
                self._preferred = None  # the label went away: back to the plain schedule
        return []

    def _order(self, frame: int) -> list[Pass]:
        due = [
            p
            for p in self.schedule
            if (frame % self.full_pass_every == 0 if p.periodic else frame % p.every == 0)
        ]
        if self._preferred is None:
            return due
        return [self._preferred, *(p for p in due if p is not self._preferred)]

    @staticmethod
    def _transformed(cache: dict[tuple[str, ...], GreyFrame], steps: tuple[str, ...]) -> GreyFrame:
        for depth in range(1, len(steps) + 1):
            key = steps[:depth]
            if key not in cache:
                cache[key] = _STEPS[key[-1]](cache[key[:-1]])
        return cache[steps]
