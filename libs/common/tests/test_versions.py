"""A record's version as HTTP carries it (ETag / If-Match), without I/O."""

from __future__ import annotations

import pytest
from franoi_common.versions import document_versions, etag, expected_version, parse_etag


@pytest.mark.parametrize(
    ("header", "version"),
    [('"3"', 3), ("3", 3), ('W/"12"', 12), (' "7" ', 7), ("", None), ("*", None), ('"x"', None),
     (None, None), ('"1", "2"', None)],
)  # fmt: skip
def test_if_match_names_one_version_or_none(header: str | None, version: int | None) -> None:
    assert parse_etag(header) == version


def test_an_etag_is_read_back_as_its_version() -> None:
    assert etag(41) == '"41"' and parse_etag(etag(41)) == 41


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), (b"*", None), (b'"4"', 4), (b"\xf2\xc8--", -1), (b'"x"', -1)],
)
def test_a_change_made_on_no_version_we_gave_matches_none(
    header: bytes | None, expected: int | None
) -> None:
    """Any bytes may come in a header: a value that is not a version is refused (-1
    matches no record), never ignored and never an error."""
    assert expected_version(header) == expected


def test_the_openapi_document_declares_etag_if_match_and_412_on_one_records_routes() -> None:
    ok = {"200": {"description": "ok"}}
    document = document_versions(
        {
            "paths": {
                "/v1/units": {"get": {"responses": dict(ok)}, "post": {"responses": dict(ok)}},
                "/v1/units/{unit_id}": {
                    "get": {"responses": {"200": {"description": "ok"}}},
                    "patch": {"responses": {"200": {"description": "ok"}}},
                },
                "/v1/units/{unit_id}/withdraw": {"post": {"responses": {"200": {}}}},
            }
        }
    )
    paths = document["paths"]
    assert "headers" not in paths["/v1/units"]["get"]["responses"]["200"]
    assert "412" not in paths["/v1/units"]["post"]["responses"]
    assert "ETag" in paths["/v1/units/{unit_id}"]["get"]["responses"]["200"]["headers"]
    for changed in (
        paths["/v1/units/{unit_id}"]["patch"],
        paths["/v1/units/{unit_id}/withdraw"]["post"],
    ):
        assert [p["name"] for p in changed["parameters"]] == ["If-Match"]
        assert "412" in changed["responses"]
