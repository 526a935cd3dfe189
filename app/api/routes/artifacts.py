from fastapi import APIRouter
from fastapi.responses import FileResponse

from app.api.body import ParsedBodyRoute
from app.api.deps import ArtifactsDep, SessionDep
from app.api.errors import ApiError
from storage import repo
from storage.errors import InvalidArtifactId

router = APIRouter(prefix="/api/artifacts", tags=["artifacts"], route_class=ParsedBodyRoute)


@router.get("/{sha256}", response_class=FileResponse)
def read_artifact(sha256: str, session: SessionDep, artifacts: ArtifactsDep) -> FileResponse:
    """A stored output (image, audio, array, long text), served with its mime type."""
    try:
        path = artifacts.path_for(sha256)
    except InvalidArtifactId:
        raise ApiError(404, "not_found", "an artifact id is 64 hexadecimal characters") from None
    row = repo.get_artifact(session, sha256=sha256)
    if not path.is_file():
        raise ApiError(404, "not_found", f"artifact {sha256} is recorded but its file is missing")
    return FileResponse(path, media_type=row.mime, headers={"Cache-Control": "public, max-age=31536000, immutable"})
