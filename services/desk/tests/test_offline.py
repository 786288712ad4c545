"""The desk's offline parts that need no browser: the service worker's version, the strings
its script reads from the page."""

from __future__ import annotations

import json

from franoi_desk.entrypoints.offline import service_worker_script
from franoi_desk.i18n import CATALOGUE, CLIENT_STRINGS, client_strings


def test_the_service_worker_carries_the_digest_of_the_static_files() -> None:
    script = service_worker_script()
    assert 'const VERSION = "dev";' not in script
    version = script.split('const VERSION = "', 1)[1].split('"', 1)[0]
    assert len(version) == 16 and int(version, 16) >= 0


def test_every_string_of_the_script_is_in_the_catalogue_in_both_languages() -> None:
    for key in CLIENT_STRINGS:
        italian, english = CATALOGUE[key]
        assert italian and english and italian != key
    for lang in ("it", "en"):
        text = client_strings(lang)
        assert "<" not in text  # cannot end the script tag that carries it
        assert set(json.loads(text)) == set(CLIENT_STRINGS)
