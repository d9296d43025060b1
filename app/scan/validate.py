"""Accept a camera read only when it repeats: one-frame misreads never reach the installer.

Qt-free so the rule is tested without a camera. A text is *accepted* once it has been
read in ``confirm_frames`` consecutive decoded frames, and reported only on the frame it
becomes accepted (content changes, not every frame). It is forgotten after it has been
missing for ``forget_after`` decoded frames, so showing the same label again later
reports it again.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConsecutiveValidator:
    def __init__(self, confirm_frames: int = 3, forget_after: int = 10) -> None:
        if confirm_frames < 1 or forget_after < 1:
            raise ValueError("confirm_frames and forget_after must be at least 1")
        self.confirm_frames = confirm_frames
        self.forget_after = forget_after
        self._streak: dict[str, int] = {}
        self._accepted: dict[str, int] = {}  # text → decoded frames since last seen

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset(self._accepted)

    def feed(self, texts: Iterable[str]) -> list[str]:
        """One decoded frame's texts; returns those that became accepted on this frame."""
        seen = list(dict.fromkeys(texts))
        self._streak = {t: self._streak.get(t, 0) + 1 for t in seen}
        for text in list(self._accepted):
            if text in self._streak:
                self._accepted[text] = 0
            else:
                self._accepted[text] += 1
                if self._accepted[text] >= self.forget_after:
                    del self._accepted[text]
        new = [t for t in seen if self._streak[t] >= self.confirm_frames and t not in self._accepted]
        for text in new:
            self._accepted[text] = 0
        return new

    def reset(self) -> None:
        self._streak.clear()
        self._accepted.clear()
