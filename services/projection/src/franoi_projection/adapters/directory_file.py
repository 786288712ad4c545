"""The partner directory file the projection starts from (``FRANOI_PARTNER_DIRECTORY``)."""

from __future__ import annotations

from pathlib import Path

from franoi_projection.domain.directory import Partner, parse_directory


def read_directory(path: str | None) -> list[Partner]:
    """The directory file; the 43-partner example in the package if unset."""
    if path is None:
        return parse_directory((Path(__file__).parent.parent / "partners.example.csv").read_text())
    return parse_directory(Path(path).read_text())
