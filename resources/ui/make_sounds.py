"""Generate HubCheck's two sound cues (run once; the WAVs are committed).

Accepted: two short rising tones, bright and brief, so a good scan is obvious without
looking. Rejected: two low, longer buzzes, unmistakably different in pitch *and* rhythm
(so they are told apart even by someone who hears pitch poorly). 16-bit mono, 22.05 kHz,
with 5 ms fades so nothing clicks.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22_050
HERE = Path(__file__).resolve().parent


def tone(freq: float, ms: int, volume: float = 0.5, square: bool = False) -> list[float]:
    n = int(RATE * ms / 1000)
    fade = int(RATE * 0.005)
    out = []
    for i in range(n):
        s = math.sin(2 * math.pi * freq * i / RATE)
        if square:
            s = 0.6 * (1.0 if s >= 0 else -1.0) + 0.4 * s
        env = min(1.0, i / fade, (n - 1 - i) / fade)
        out.append(volume * s * env)
    return out


def silence(ms: int) -> list[float]:
    return [0.0] * int(RATE * ms / 1000)


def write(name: str, samples: list[float]) -> None:
    with wave.open(str(HERE / name), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(max(-1, min(1, s)) * 32000)) for s in samples))


def main() -> None:
    write("scan_accepted.wav", tone(988, 70) + silence(15) + tone(1480, 90))
    write("scan_rejected.wav", tone(196, 160, 0.45, square=True) + silence(60) + tone(196, 160, 0.45, square=True))
    write("verdict_stop.wav", tone(330, 120, 0.45) + silence(40) + tone(247, 220, 0.45))


if __name__ == "__main__":
    main()
