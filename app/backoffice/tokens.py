"""Per-installer bearer tokens, stored only as SHA-256 digests.

Tokens are 32 random bytes, so a plain SHA-256 is enough (no password stretching is
needed for a secret with 256 bits of entropy) and a look-up is one indexed query.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.backoffice.models import ApiToken, Installer
from app.backoffice.timeutil import GB_ZONE, as_utc, utcnow

#: How many leading characters of a token are kept in clear to name it (``token revoke --prefix``).
PREFIX_CHARS = 8

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


class TokenError(ValueError):
    """A bad installer name or an unknown installer; the message says which."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: every query an installer makes is narrowed to ``installer_id``."""

    installer_id: int
    name: str
    is_admin: bool
    #: The token used (its row id), so an admin action can say which credential did it.
    token_id: int | None = None
    #: A read-only analyst: the review API (every installer's records) and nothing else.
    is_analyst: bool = False

    @property
    def may_review(self) -> bool:
        """Analysts and admins read every installer's records through /v1/review."""
        return self.is_admin or self.is_analyst


@dataclass(frozen=True)
class TokenInfo:
    """One token as an operator sees it: never the token itself, only its prefix."""

    id: int
    installer: str
    prefix: str | None
    admin: bool
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    analyst: bool = False

    @property
    def role(self) -> str:
        """``admin``, ``analyst`` or ``installer``."""
        return "admin" if self.admin else "analyst" if self.analyst else "installer"

    def state(self, now: datetime) -> str:
        """``live``, ``revoked`` or ``expired`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and as_utc(self.expires_at) <= as_utc(now):
            return "expired"
        return "live"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise TokenError(
            f"{name!r} is not a usable installer name: 1-100 characters, letters, digits and . _ @ + -"
        )
    return name


def find_installer(session: Session, name: str) -> Installer | None:
    return session.scalar(select(Installer).where(Installer.name == name))


def get_or_create_installer(session: Session, name: str, now: datetime) -> Installer:
    """The installer called ``name``, created on first use.

    The installer row carries no role: ``Installer.is_admin`` is left as it was (old
    databases) and never read; the role is on each token.
    """
    installer = find_installer(session, check_name(name))
    if installer is None:
        installer = Installer(name=name, is_admin=False, created_at=now)
        session.add(installer)
        session.flush()
    return installer


def expiry_from_date(day: date) -> datetime:
    """``--expires DAY``: the token works up to the start of that GB calendar day (00:00 in
    Europe/London, in UTC), so ``--expires 2027-02-01`` means "the last day is 31 January"."""
    midnight = datetime.combine(day, time(0, 0))
    if GB_ZONE is not None:
        return as_utc(midnight.replace(tzinfo=GB_ZONE))
    return as_utc(midnight)


def new_token() -> str:
    """32 random bytes, URL-safe, never starting with ``-``.

    About 1 in 64 URL-safe tokens would start with ``-``, which a command line reads as an
    option (``hubcheck settings set backoffice_token -Xy...`` fails, and so would
    ``token revoke --prefix -Xy``). Drawing again keeps every other token equally likely.
    """
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def issue_token(
    session: Session,
    name: str,
    now: datetime,
    *,
    admin: bool = False,
    expires_at: datetime | None = None,
    analyst: bool = False,
) -> tuple[str, TokenInfo]:
    """Issue a new token with its own role and expiry; returns it in clear (once) and its record.

    Other tokens of the same installer keep their own roles: ``--admin`` never promotes them.
    An analyst token reads every installer's records and writes nothing, so it cannot also be
    an admin token (an admin token already reads the review).
    """
    if admin and analyst:
        raise TokenError("a token is either --admin or --analyst, not both (an admin token can already review)")
    if expires_at is not None and as_utc(expires_at) <= as_utc(now):
        raise TokenError(f"the expiry {expires_at.isoformat()} is not in the future")
    installer = get_or_create_installer(session, name, now)
    token = new_token()
    row = ApiToken(
        installer_id=installer.id,
        token_hash=token_digest(token),
        created_at=now,
        is_admin=admin,
        is_analyst=analyst,
        expires_at=expires_at,
        prefix=token[:PREFIX_CHARS],
    )
    session.add(row)
    session.flush()
    return token, _info(row, installer.name)


def create_token(
    session: Session, name: str, now: datetime, admin: bool = False, expires_at: datetime | None = None
) -> str:
    """Issue a new token for the installer (created on first use); returns it in clear, once."""
    return issue_token(session, name, now, admin=admin, expires_at=expires_at)[0]


def _info(row: ApiToken, installer: str) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        installer=installer,
        prefix=row.prefix,
        admin=bool(row.is_admin),
        analyst=bool(row.is_analyst),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def list_tokens(session: Session, name: str | None = None) -> list[TokenInfo]:
    """Every token (or one installer's), oldest first; revoked and expired ones included."""
    query = select(ApiToken, Installer.name).join(Installer, ApiToken.installer_id == Installer.id)
    if name is not None:
        if find_installer(session, name) is None:
            raise TokenError(f"no installer named {name!r}")
        query = query.where(Installer.name == name)
    return [_info(row, owner) for row, owner in session.execute(query.order_by(ApiToken.id)).all()]


def revoke_token(
    session: Session, now: datetime, *, token_id: int | None = None, prefix: str | None = None
) -> TokenInfo:
    """Revoke exactly one token, named by its id or by a prefix that only it starts with.

    A prefix shared by several tokens is refused (naming them by id) rather than guessed.
    """
    query = select(ApiToken, Installer.name).join(Installer, ApiToken.installer_id == Installer.id)
    if token_id is not None:
        rows = session.execute(query.where(ApiToken.id == token_id)).all()
        what = f"id {token_id}"
    elif prefix:
        # Compare in Python: the stored prefix is short, and LIKE would read _ and % as wildcards.
        # A whole token (or more than the kept prefix) is matched on its first PREFIX_CHARS.
        wanted = prefix[:PREFIX_CHARS]
        candidates = session.execute(query.where(ApiToken.prefix.is_not(None))).all()
        rows = [r for r in candidates if str(r[0].prefix).startswith(wanted)]
        what = f"prefix {prefix!r}"
    else:
        raise TokenError("name the token to revoke: --id N or --prefix TEXT (token list shows both)")
    if not rows:
        raise TokenError(f"no token with {what} (token list shows them)")
    if len(rows) > 1:
        ids = ", ".join(str(r[0].id) for r in rows)
        raise TokenError(f"{len(rows)} tokens match {what} (ids {ids}); use --id")
    row, owner = rows[0]
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return _info(row, owner)


def revoke_tokens(session: Session, name: str, now: datetime) -> int:
    """Revoke every live token of the installer; returns how many."""
    installer = find_installer(session, name)
    if installer is None:
        raise TokenError(f"no installer named {name!r}")
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.installer_id == installer.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def authenticate(session: Session, token: str, now: datetime | None = None) -> Principal | None:
    """The principal a live token belongs to, or None (unknown, revoked, or expired at ``now``).

    The role is the token's own (``ApiToken.is_admin``), never the installer's.
    """
    query = (
        select(Installer.id, Installer.name, ApiToken.is_admin, ApiToken.id, ApiToken.is_analyst)
        .join(ApiToken, ApiToken.installer_id == Installer.id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
    )
    at = as_utc(now) if now is not None else utcnow()
    query = query.where(or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > at))
    row = session.execute(query).first()
    if row is None:
        return None
    return Principal(
        installer_id=row[0], name=row[1], is_admin=bool(row[2]), token_id=row[3], is_analyst=bool(row[4])
    )
