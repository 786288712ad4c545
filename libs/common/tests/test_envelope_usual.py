"""The consumer reads messages of the usual shape without the CloudEvents SDK
(:func:`franoi_common.envelope.decode_usual`): for every message it accepts, the
envelope must equal the SDK's; everything else goes to the SDK, which judges it.
Pure logic, no I/O: random valid messages and random damage to them, seeded."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from typing import Any

import pytest
from franoi_common.envelope import (
    Envelope,
    EnvelopeError,
    _decode_with_sdk,
    decode,
    decode_usual,
    encode,
)
from franoi_common.outbox import message_headers

SEED = 20261124


def random_envelope(rng: random.Random) -> Envelope:
    offset = dt.timedelta(minutes=rng.choice([0, 0, 60, -300, 330]))
    time = dt.datetime(
        rng.randint(2020, 2030),
        rng.randint(1, 12),
        rng.randint(1, 28),
        rng.randint(0, 23),
        rng.randint(0, 59),
        rng.randint(0, 59),
        rng.choice([0, 0, 1000, 123456, rng.randint(1, 999_999)]),
        tzinfo=dt.timezone(offset),
    )
    return Envelope(
        id=str(uuid.UUID(int=rng.getrandbits(128))),
        source=f"/partners/p{rng.randint(1, 43):02d}/housing",
        type="it.franoi.housing.request.submitted.v1",
        time=time,
        subject=str(uuid.UUID(int=rng.getrandbits(128))),
        partnerid=f"p{rng.randint(1, 43):02d}",
        data={"n": rng.randint(0, 9), "città": "Torino", "nested": {"a": [1, None, "è"]}},
        dataschema=rng.choice([None, "https://schemas.franoi.example/x.v1.json"]),
        trace=rng.choice([{}, {"traceparent": f"00-{'a' * 32}-{'b' * 16}-01"}]),
        sequence=rng.choice([None, 1, rng.randint(2, 10**9)]),
    )


def split(headers: list[tuple[str, bytes]]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    header_map = {name.lower(): raw for name, raw in headers}
    ce = {n: v for n, v in header_map.items() if n.startswith("ce_") or n == "content-type"}
    return header_map, ce


def sdk(headers: list[tuple[str, bytes]], value: bytes) -> Envelope | str:
    header_map, ce = split(headers)
    try:
        return _decode_with_sdk(header_map, ce, value)
    except EnvelopeError as exc:
        return f"error: {exc}"


def usual(headers: list[tuple[str, bytes]], value: bytes) -> Envelope | None:
    header_map, ce = split(headers)
    try:
        data: Any = json.loads(value)
    except ValueError:
        return None
    return decode_usual(header_map, ce, data)


def test_every_message_the_network_writes_is_read_directly_and_equals_the_sdk() -> None:
    rng = random.Random(SEED)
    for _ in range(500):
        envelope = random_envelope(rng)
        headers, value = encode(envelope)
        direct = usual(headers, value)
        assert direct is not None, headers
        assert direct == sdk(headers, value) == envelope
        assert direct.time.utcoffset() == envelope.time.utcoffset()


DAMAGE = [
    (
        "ce_time",
        [
            b"2024-05-01T12:30:15",
            b"2024-05-01 12:30:15Z",
            b"2024-13-01T12:30:15Z",
            b"2024-05-01T12:30:15.1234567Z",
            b"2024-05-01T25:30:15Z",
            b"yesterday",
            "2024-05-01T12:30:15\u0661Z".encode(),
            b"2024-05-01T12:30:15+0100",
            b"2024-05-01T12:30:15.5-02:00",
            b"2024-W18-3T12:30:15Z",
        ],
    ),
    ("ce_subject", [b"", b"\xff", "sogg\u00e8tto".encode()]),
    ("ce_partnerid", [b"", b"p\xc3"]),
    ("ce_dataschema", [b"", b"relative/path.json"]),
    ("ce_sequence", [b"", b"0", b"-3", b"7", b"00000000000000000012", b"1e3", b"\xff", b" 7"]),
    ("ce_id", [b"\xfe", "id-\u00e8".encode()]),
    ("ce_source", [b"\x80abc"]),
    ("ce_weird_ext", [b"x"]),
    ("ce_UPPERCASE", [b"x"]),
    ("ce_data", [b"x"]),
    ("ce_datacontenttype", [b"application/json"]),
]


@pytest.mark.parametrize(("name", "values"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_damaged_messages_are_read_directly_only_when_the_sdk_agrees(
    name: str, values: list[bytes]
) -> None:
    """Each damage, on random messages: the direct reading either defers (None) or gives
    exactly the SDK's envelope; when it defers, ``decode`` rejects or answers the SDK's."""
    rng = random.Random(f"{SEED}{name}")
    deferred = 0
    for raw in values:
        for _ in range(20):
            headers, value = encode(random_envelope(rng))
            headers = [(n, v) for n, v in headers if n != name] + [(name, raw)]
            direct = usual(headers, value)
            by_sdk = sdk(headers, value)
            if direct is not None:
                assert direct == by_sdk, (name, raw)
                assert decode(headers, value) == direct
                continue
            deferred += 1
            try:
                result = decode(headers, value)
            except EnvelopeError:
                continue  # rejected, by decode's own checks or by the SDK
            assert result == by_sdk, (name, raw)
    assert deferred, "every damaged message was read directly: the damage tested nothing"


def test_data_that_is_not_an_object_is_left_to_the_sdk_and_rejected() -> None:
    headers, _ = encode(random_envelope(random.Random(SEED)))
    for value in (b"[1, 2]", b'"text"', b"null", b"3"):
        assert usual(headers, value) is None
        with pytest.raises(EnvelopeError, match="JSON object"):
            decode(headers, value)


def test_the_relay_writes_the_sequence_as_encode_does() -> None:
    """The relay's own headers (its hot path) carry ``ce_sequence`` exactly as the SDK's
    encoding does, and it reads back as the number."""
    envelope = random_envelope(random.Random(SEED))
    envelope = Envelope(**{**envelope.__dict__, "sequence": 12, "trace": {}})
    row = {
        "event_id": uuid.UUID(envelope.id),
        "source": envelope.source,
        "event_type": envelope.type,
        "occurred_at": envelope.time,
        "aggregate_id": envelope.subject,
        "partner_id": envelope.partnerid,
        "dataschema": envelope.dataschema,
        "sequence": 12,
    }
    headers, value = encode(envelope)
    assert message_headers(row) == headers
    assert ("ce_sequence", b"00000000000000000012") in headers
    assert decode(headers, value).sequence == 12
