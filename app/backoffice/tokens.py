"""Per-installer bearer tokens, stored only as SHA-256 digests.

Tokens are 32 random bytes, so a plain SHA-256 is enough (no password stretching is
needed for a secret with 256 bits of entropy) and a look-up is one indexed query.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.backoffice.models import ApiToken, Installer

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


class TokenError(ValueError):
    """A bad installer name or an unknown installer; the message says which."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: every query an installer makes is narrowed to ``installer_id``."""

    installer_id: int
    name: str
    is_admin: bool


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


def get_or_create_installer(session: Session, name: str, now: datetime, admin: bool = False) -> Installer:
    installer = find_installer(session, check_name(name))
    if installer is None:
        installer = Installer(name=name, is_admin=admin, created_at=now)
        session.add(installer)
        session.flush()
    elif admin and not installer.is_admin:
        installer.is_admin = True
    return installer


def create_token(session: Session, name: str, now: datetime, admin: bool = False) -> str:
    """Issue a new token for the installer (created on first use); returns it in clear, once."""
    installer = get_or_create_installer(session, name, now, admin)
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(installer_id=installer.id, token_hash=token_digest(token), created_at=now))
    session.flush()
    return token


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


def authenticate(session: Session, token: str) -> Principal | None:
    """The principal a live token belongs to, or None."""
    row = session.execute(
        select(Installer.id, Installer.name, Installer.is_admin)
        .join(ApiToken, ApiToken.installer_id == Installer.id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    return Principal(installer_id=row[0], name=row[1], is_admin=bool(row[2]))
