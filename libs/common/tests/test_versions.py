"""A record's version as HTTP carries it (ETag / If-Match), without I/O."""

from __future__ import annotations

import pytest
from franoi_common.versions import etag, parse_etag


@pytest.mark.parametrize(
    ("header", "version"),
    [('"3"', 3), ("3", 3), ('W/"12"', 12), (' "7" ', 7), ("", None), ("*", None), ('"x"', None),
     (None, None), ('"1", "2"', None)],
)  # fmt: skip
def test_if_match_names_one_version_or_none(header: str | None, version: int | None) -> None:
    assert parse_etag(header) == version


def test_an_etag_is_read_back_as_its_version() -> None:
    assert etag(41) == '"41"' and parse_etag(etag(41)) == 41
