"""Where the review window reads from: this laptop's database or the back office.

The laptop's settings say which back office this laptop syncs with (``backoffice_url``,
``backoffice_token``, ``backoffice_ca``); the window reads from it when both an address
and a token are known, else from the laptop's own database. ``--backoffice URL`` names
another address (the saved token and CA still apply). Opening a source may touch the
network or migrate a database, so ``open_source`` runs on a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.services.context import AppContext
from app.services.review.contract import ReviewError, ReviewSource


class SourceKind(StrEnum):
    LAPTOP = "laptop"
    BACKOFFICE = "backoffice"


@dataclass(frozen=True)
class SourceChoice:
    kind: SourceKind
    url: str = ""
    token: str = ""
    ca: str | None = None

    @property
    def usable(self) -> bool:
        """A back office needs an address and a token; the laptop is always there."""
        return self.kind is SourceKind.LAPTOP or bool(self.url and self.token)


def _setting(ctx: AppContext, key: str) -> str:
    try:
        return str(ctx.setting(key) or "").strip()
    except (KeyError, ValueError, OSError):  # an unreadable settings file: treated as not set
        return ""


def backoffice_choice(ctx: AppContext, url: str | None = None) -> SourceChoice:
    """The back office from the laptop's settings (``url`` overrides the saved address)."""
    return SourceChoice(
        SourceKind.BACKOFFICE,
        url=(url or _setting(ctx, "backoffice_url")).strip(),
        token=_setting(ctx, "backoffice_token"),
        ca=_setting(ctx, "backoffice_ca") or None,
    )


def default_choice(ctx: AppContext, url: str | None = None) -> SourceChoice:
    """The back office when ``url`` is given or one is saved with a token; else this laptop."""
    office = backoffice_choice(ctx, url)
    if url or office.usable:
        return office
    return SourceChoice(SourceKind.LAPTOP)


def open_source(ctx: AppContext, choice: SourceChoice) -> ReviewSource:
    """Open ``choice`` (on a worker: the back office's source may reach the network)."""
    if choice.kind is SourceKind.LAPTOP:
        from app.services.review.local import LocalReviewSource

        return LocalReviewSource(ctx)
    if not choice.url:
        raise ReviewError("No back-office address is saved: set backoffice_url in Settings, "
                          "or start with --backoffice URL.")
    if not choice.token:
        raise ReviewError("No back-office token is saved: set backoffice_token in Settings "
                          "(an analyst token reads; an admin token may also approve).")
    import importlib.util

    if importlib.util.find_spec("app.services.review.remote") is None:
        raise ReviewError("This build cannot read from a back office yet; choose This laptop.")
    remote = importlib.import_module("app.services.review.remote")  # written alongside this window
    source: ReviewSource = remote.RemoteReviewSource(choice.url, choice.token, ca=choice.ca)
    _ = source.can_approve  # the token's role is asked here, on the worker: the window only reads it
    return source


def close_source(source: ReviewSource | None) -> None:
    """Release what the source holds (a database or a connection pool), if it holds any."""
    close = getattr(source, "close", None)
    if callable(close):
        close()
