"""CPL and job-pack downloads for laptops."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, HTTPException, Path, Query, Response
from sqlalchemy import select

from app.backoffice.files import latest_cpl, visible_jobpacks
from app.backoffice.models import CplFile, Installer, JobPack
from app.backoffice.schemas import CplInfo, JobPackInfo, JobPackList
from app.backoffice.tokens import find_installer
from app.backoffice.validation import text_problem
from app.backoffice.web.common import ERROR_RESPONSES
from app.backoffice.web.deps import PrincipalDep, StoreDep

router = APIRouter(prefix="/v1", tags=["files"], responses=ERROR_RESPONSES)

_MEDIA = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
}


def _media_type(name: str) -> str:
    for suffix, media in _MEDIA.items():
        if name.lower().endswith(suffix):
            return media
    return "application/octet-stream"


def _disposition(name: str) -> str:
    """An attachment header that survives any file name (headers must be Latin-1)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def cpl_info(row: CplFile) -> CplInfo:
    return CplInfo(
        id=row.id,
        name=row.name,
        published_on=row.published_on,
        uploaded_at=row.uploaded_at,
        sha256=row.sha256,
        size=row.size,
    )


@router.get(
    "/cpl/latest",
    summary="Download the newest CPL file (bytes; name and date in headers)",
    responses={
        200: {
            "description": "the file; X-HubCheck-CPL-Name (percent-encoded), X-HubCheck-CPL-Date, ETag",
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        },
        304: {"description": "If-None-Match matched: the laptop already has it"},
        404: {"description": "no CPL uploaded yet"},
    },
)
def download_cpl(
    _principal: PrincipalDep,
    store: StoreDep,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    with store.read() as session:
        row = latest_cpl(session)
        if row is None:
            raise HTTPException(404, detail="no CPL file has been uploaded yet")
        etag = f'"{row.sha256}"'
        headers = {
            "ETag": etag,
            "X-HubCheck-CPL-Name": quote(row.name, safe=""),
            "X-HubCheck-CPL-Date": row.published_on.isoformat(),
            "X-HubCheck-CPL-SHA256": row.sha256,
            "Content-Disposition": _disposition(row.name),
        }
        if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(content=row.content, media_type=_media_type(row.name), headers=headers)


@router.get(
    "/cpl/latest/info",
    response_model=CplInfo,
    summary="The newest CPL's name, date, size and SHA-256, without the bytes",
    responses={404: {"description": "no CPL uploaded yet"}},
)
def cpl_latest_info(_principal: PrincipalDep, store: StoreDep) -> CplInfo:
    with store.read() as session:
        row = latest_cpl(session)
        if row is None:
            raise HTTPException(404, detail="no CPL file has been uploaded yet")
        return cpl_info(row)


def jobpack_info(row: JobPack, names: dict[int, str]) -> JobPackInfo:
    return JobPackInfo(
        id=row.id,
        name=row.name,
        installer=names.get(row.installer_id) if row.installer_id is not None else None,
        uploaded_at=row.uploaded_at,
        sha256=row.sha256,
        size=row.size,
        job_refs=[str(r) for r in row.job_refs],
    )


@router.get(
    "/jobpacks",
    response_model=JobPackList,
    summary="Job packs for an installer (and for everyone)",
    responses={
        403: {"description": "an installer token asking for another installer's packs"},
        404: {"description": "an admin asking for an installer that does not exist"},
    },
)
def list_jobpacks(
    principal: PrincipalDep,
    store: StoreDep,
    installer: Annotated[str | None, Query(max_length=100, description="default: the caller")] = None,
) -> JobPackList:
    if installer is not None and (problem := text_problem(installer)):
        raise HTTPException(422, detail=f"installer {problem}")
    with store.read() as session:
        target: int | None
        if installer is None:
            target = None if principal.is_admin else principal.installer_id  # an admin sees every pack
        elif installer == principal.name:
            target = principal.installer_id
        elif not principal.is_admin:
            raise HTTPException(403, detail="an installer token may only list its own job packs")
        else:
            found = find_installer(session, installer)
            if found is None:
                raise HTTPException(404, detail="no installer with that name")
            target = found.id
        rows = visible_jobpacks(session, target)
        names = {i: n for i, n in session.execute(select(Installer.id, Installer.name))}
        return JobPackList(jobpacks=[jobpack_info(r, names) for r in rows])


@router.get(
    "/jobpacks/{jobpack_id}",
    summary="Download one job pack (JSON bytes as uploaded)",
    responses={
        200: {"content": {"application/json": {}}, "description": "the job pack file"},
        404: {"description": "no such job pack for this installer"},
    },
)
def download_jobpack(
    jobpack_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: PrincipalDep,
    store: StoreDep,
) -> Response:
    with store.read() as session:
        row = session.get(JobPack, jobpack_id)
        if row is None or not (
            principal.is_admin or row.installer_id is None or row.installer_id == principal.installer_id
        ):
            raise HTTPException(404, detail="no such job pack for this installer")
        return Response(
            content=row.content,
            media_type="application/json",
            headers={"Content-Disposition": _disposition(row.name), "ETag": f'"{row.sha256}"'},
        )
