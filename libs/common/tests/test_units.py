"""Pure unit tests of the shared library: envelope, topic check, pseudonyms, settings, auth.

No server is needed: everything here runs in memory (FastAPI apps through the in-process
test client).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import time
import uuid
from typing import Annotated, Any

import httpx
import jwt
import pytest
from aiokafka.errors import KafkaConnectionError
from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient
from franoi_common.auth import (
    Principal,
    Role,
    TokenVerifier,
    mint_token,
    require_partner_member,
    require_roles,
    token_cli,
)
from franoi_common.consumer import check_topic, describe_validation_error
from franoi_common.envelope import (
    Envelope,
    EnvelopeError,
    decode,
    encode,
    parse_source,
    source_for,
)
from franoi_common.http import (
    Health,
    Liveness,
    Readiness,
    install_error_handlers,
    install_health_routes,
)
from franoi_common.kafka import BackgroundWorker
from franoi_common.outbox import message_headers
from franoi_common.pseudonym import normalise_identifier, person_ref
from franoi_common.settings import (
    AuthSettings,
    Environment,
    KafkaSettings,
    PartnerServiceSettings,
    ProjectionSettings,
    ServiceSettings,
)
from franoi_contracts.base import AgeBand, MunicipalityCode, PersonRef
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

# --------------------------------------------------------------------------------------------
# envelope
# --------------------------------------------------------------------------------------------

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def sample_envelope(**overrides: Any) -> Envelope:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "source": "/partners/p07/housing",
        "type": "it.franoi.housing.placement.started.v1",
        "time": dt.datetime(
            2024, 5, 1, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2))
        ),
        "subject": "placement-42",
        "partnerid": "p07",
        "data": {"beds": 3, "municipality_code": "L219", "flags": [1, 2], "note": "città"},
        "dataschema": "https://schemas.franoi.example/it.franoi.housing.placement.started.v1.json",
        "trace": {"traceparent": TRACEPARENT, "tracestate": "franoi=1"},
    }
    values.update(overrides)
    return Envelope(**values)


def without(headers: list[tuple[str, bytes]], name: str) -> list[tuple[str, bytes]]:
    return [(n, v) for n, v in headers if n != name]


def replaced(headers: list[tuple[str, bytes]], name: str, value: bytes) -> list[tuple[str, bytes]]:
    assert any(n == name for n, _ in headers), name
    return [(n, value if n == name else v) for n, v in headers]


def test_envelope_round_trip_preserves_every_attribute() -> None:
    original = sample_envelope()
    headers, value = encode(original)
    names = dict(headers)
    assert names["ce_specversion"] == b"1.0"
    assert names["ce_id"] == original.id.encode()
    assert names["ce_source"] == b"/partners/p07/housing"
    assert names["ce_type"] == b"it.franoi.housing.placement.started.v1"
    assert names["ce_subject"] == b"placement-42"
    assert names["ce_partnerid"] == b"p07"
    assert names["ce_dataschema"] == original.dataschema.encode()
    assert names["content-type"] == b"application/json"
    assert names["traceparent"] == TRACEPARENT.encode()
    assert "ce_data" not in names  # binary mode: the data is the value, not a header

    decoded = decode(headers, value)
    assert decoded == original
    assert decoded.time == original.time and decoded.time.utcoffset() == dt.timedelta(hours=2)
    assert decoded.trace == {"traceparent": TRACEPARENT, "tracestate": "franoi=1"}
    assert decoded.key == b"placement-42"


def test_envelope_round_trip_without_optional_attributes() -> None:
    original = sample_envelope(dataschema=None, trace={})
    headers, value = encode(original)
    assert "ce_dataschema" not in dict(headers)
    assert "traceparent" not in dict(headers)
    assert decode(headers, value) == original


def test_decode_accepts_upper_case_header_names_and_a_charset() -> None:
    original = sample_envelope()
    headers, value = encode(original)
    headers = replaced(headers, "content-type", b"application/json; charset=utf-8")
    assert decode([(n.upper(), v) for n, v in headers], value) == original


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda h: without(h, "ce_specversion"), "no ce_specversion"),
        (lambda h: replaced(h, "ce_specversion", b"0.3"), "unsupported ce_specversion"),
        (lambda h: replaced(h, "content-type", b"text/plain"), "content-type must be"),
        (lambda h: without(h, "content-type"), "content-type must be"),
        (lambda h: without(h, "ce_source"), "source"),
        (lambda h: replaced(h, "ce_source", b""), "source"),
        (lambda h: without(h, "ce_type"), "type"),
        (lambda h: replaced(h, "ce_id", b""), "id"),
        (lambda h: without(h, "ce_subject"), "ce_subject"),
        (lambda h: without(h, "ce_partnerid"), "ce_partnerid"),
        (lambda h: replaced(h, "ce_time", b"2024-05-01T12:30:15"), "time"),
        (lambda h: replaced(h, "ce_time", b"yesterday"), "invalid CloudEvent"),
    ],
    ids=[
        "no-specversion",
        "wrong-specversion",
        "wrong-content-type",
        "no-content-type",
        "no-source",
        "empty-source",
        "no-type",
        "empty-id",
        "no-subject",
        "no-partnerid",
        "time-without-zone",
        "time-garbage",
    ],
)
def test_decode_rejects_invalid_headers(mangle: Any, reason: str) -> None:
    headers, value = encode(sample_envelope())
    with pytest.raises(EnvelopeError, match=reason):
        decode(mangle(headers), value)


def test_decode_rejects_a_message_without_ce_id() -> None:
    """Without ce_id the event has no identity: the idempotent consumer could not recognise
    a redelivery. The CloudEvents SDK silently invents a random uuid4 for a missing id."""
    headers, value = encode(sample_envelope())
    with pytest.raises(EnvelopeError, match="ce_id"):
        decoded = decode(without(headers, "ce_id"), value)
        # reached only when the bug is present: the "id" is new on every delivery
        assert decoded.id != decode(without(headers, "ce_id"), value).id


def test_decode_rejects_a_message_without_ce_time() -> None:
    """ce_time is required by the contract; the SDK silently fills in 'now'."""
    headers, value = encode(sample_envelope())
    with pytest.raises(EnvelopeError, match="ce_time"):
        decode(without(headers, "ce_time"), value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "no value"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b'"a string"', "JSON object"),
        (b"null", "JSON object"),
    ],
    ids=["none", "not-json", "not-utf8", "array", "string", "null"],
)
def test_decode_rejects_values_that_are_not_a_json_object(value: bytes | None, reason: str) -> None:
    headers, _ = encode(sample_envelope())
    with pytest.raises(EnvelopeError, match=reason):
        decode(headers, value)


@pytest.mark.parametrize(
    ("occurred_at", "dataschema"),
    [
        (dt.datetime(2024, 5, 1, 10, 30, 15, 123456, tzinfo=dt.UTC), "https://s.example/x.json"),
        (dt.datetime(2024, 5, 1, 10, 30, 15, tzinfo=dt.UTC), None),
        (dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), None),
    ],
)
def test_relay_headers_are_those_of_the_envelope(
    occurred_at: dt.datetime, dataschema: str | None
) -> None:
    """The relay writes the headers itself (its hot path): exactly what encode() writes, and
    its value (the stored JSON text) decodes to the same envelope."""
    envelope = sample_envelope(time=occurred_at, dataschema=dataschema, trace={})
    row = {
        "event_id": uuid.UUID(envelope.id),
        "source": envelope.source,
        "event_type": envelope.type,
        "occurred_at": occurred_at,
        "aggregate_id": envelope.subject,
        "partner_id": envelope.partnerid,
        "dataschema": dataschema,
    }
    headers, _ = encode(envelope)
    assert message_headers(row) == headers
    stored_json = '{"note": "città", "beds": 3, "flags": [1, 2], "municipality_code": "L219"}'
    assert decode(message_headers(row), stored_json.encode()) == envelope


def test_envelope_error_is_a_value_error() -> None:
    assert issubclass(EnvelopeError, ValueError)


def test_source_helpers() -> None:
    assert source_for("p07", "housing") == "/partners/p07/housing"
    assert parse_source("/partners/p123/events") == ("p123", "events")
    for bad in ("/partners/x07/housing", "/partners/p07/Housing", "partners/p07/housing", ""):
        with pytest.raises(EnvelopeError):
            parse_source(bad)


# --------------------------------------------------------------------------------------------
# check_topic
# --------------------------------------------------------------------------------------------


def test_check_topic_accepts_a_matching_event() -> None:
    check_topic(sample_envelope(), "franoi.p07.housing.v1")


@pytest.mark.parametrize(
    ("envelope", "topic", "reason"),
    [
        (sample_envelope(partnerid="p08"), "franoi.p07.housing.v1", "ce_partnerid"),
        (sample_envelope(source="/partners/p08/housing"), "franoi.p07.housing.v1", "ce_source"),
        (sample_envelope(source="/partners/p07/events"), "franoi.p07.housing.v1", "ce_source"),
        (
            sample_envelope(type="it.franoi.employment.hire.recorded.v1"),
            "franoi.p07.housing.v1",
            "ce_type",
        ),
        (
            sample_envelope(type="it.franoi.housingx.unit.registered.v1"),
            "franoi.p07.housing.v1",
            "ce_type",
        ),
        (sample_envelope(), "franoi.consortium.deadletter.v1", "not a partner domain topic"),
        (sample_envelope(), "housing-events", "not a partner domain topic"),
        (sample_envelope(), "franoi.p07.housing.v1.extra", "not a partner domain topic"),
    ],
    ids=[
        "partner-mismatch",
        "source-partner-mismatch",
        "source-domain-mismatch",
        "type-of-other-domain",
        "type-domain-prefix",
        "deadletter-topic",
        "foreign-topic",
        "topic-suffix",
    ],
)
def test_check_topic_rejects(envelope: Envelope, topic: str, reason: str) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        check_topic(envelope, topic)


# --------------------------------------------------------------------------------------------
# describe_validation_error
# --------------------------------------------------------------------------------------------

SECRET = "RSSMRA80A01H501U"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_ref: PersonRef
    municipality_code: MunicipalityCode
    beds: int
    age_band: AgeBand
    day: dt.date
    stay_id: uuid.UUID
    nested: list[int]


def test_describe_validation_error_names_fields_but_never_values() -> None:
    bad = {
        "person_ref": SECRET,
        "municipality_code": SECRET,
        "beds": SECRET,
        "age_band": SECRET,
        "day": SECRET,
        "stay_id": SECRET,
        "nested": [1, SECRET],
        "surname": SECRET,
    }
    with pytest.raises(ValidationError) as info:
        _Strict.model_validate(bad)
    assert SECRET in str(info.value)  # pydantic's own text would leak it
    reason = describe_validation_error(info.value)
    assert SECRET not in reason
    assert "RSSMRA" not in reason
    for field in ("person_ref", "municipality_code", "beds", "age_band", "day", "stay_id"):
        assert f"{field}: " in reason
    assert "nested.1: " in reason


def test_describe_validation_error_of_invalid_json() -> None:
    with pytest.raises(ValidationError) as info:
        _Strict.model_validate_json('{"person_ref": "' + SECRET + '", "beds": ')
    reason = describe_validation_error(info.value)
    assert SECRET not in reason
    assert reason.startswith("data: ")


# --------------------------------------------------------------------------------------------
# pseudonym
# --------------------------------------------------------------------------------------------

KEY = b"k" * 32


def test_person_ref_ignores_formatting() -> None:
    refs = {
        person_ref(variant, KEY)
        for variant in (
            "RSSMRA80A01H501U",
            "rssmra80a01h501u",
            "RSS MRA 80A01 H501U",
            "rss-mra-80a01-h501u",
            " Rss.Mra.80a01.H501u ",
            "\uff32\uff33\uff33\uff2d\uff32\uff2180A01H501U",  # full-width letters (NFKC)
        )
    }
    assert len(refs) == 1
    assert normalise_identifier("rss-mra 80a01.h501u") == "RSSMRA80A01H501U"


def test_person_ref_is_64_hex_and_depends_on_identifier_and_key() -> None:
    ref = person_ref("RSSMRA80A01H501U", KEY)
    assert re.fullmatch(r"[0-9a-f]{64}", ref)
    assert person_ref("RSSMRA80A01H501U", b"j" * 32) != ref
    assert person_ref("RSSMRA80A01H501V", KEY) != ref
    assert "RSSMRA" not in ref.upper()


@pytest.mark.parametrize("identifier", ["", "ab-12", "  a b c d e  ", "-----.....", "12 34 5"])
def test_person_ref_rejects_short_identifiers(identifier: str) -> None:
    with pytest.raises(ValueError, match="at least 6"):
        person_ref(identifier, KEY)


def test_person_ref_rejects_short_key() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        person_ref("RSSMRA80A01H501U", b"short-key")
    assert len(person_ref("RSSMRA80A01H501U", b"x" * 16)) == 64


# --------------------------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------------------------

STRONG_JWT_KEY = "a-real-production-jwt-key-0123456789abcdef"
STRONG_PSEUDONYM_KEY = "a-real-production-pseudonym-key-0123456789"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.startswith("FRANOI_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_partner_settings_from_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FRANOI_ENV", "test")
    clean_env.setenv("FRANOI_PARTNER_ID", "p03,p11,p107")
    clean_env.setenv("FRANOI_KAFKA_BOOTSTRAP", "kafka-1:9093,kafka-2:9093")
    clean_env.setenv("FRANOI_KAFKA_IDEMPOTENT_PRODUCER", "false")
    clean_env.setenv("FRANOI_JWT_ISSUER", "https://idp.example")
    clean_env.setenv("FRANOI_DATABASE_URL", "postgresql://u@db:5432/housing")
    clean_env.setenv("FRANOI_RELAY_BATCH_SIZE", "25")
    settings = PartnerServiceSettings()
    assert settings.env is Environment.TEST
    assert settings.partner_ids == ("p03", "p11", "p107")
    assert settings.kafka.bootstrap == "kafka-1:9093,kafka-2:9093"
    assert settings.kafka.idempotent_producer is False
    assert settings.kafka.client_options()["bootstrap_servers"] == "kafka-1:9093,kafka-2:9093"
    assert settings.auth.issuer == "https://idp.example"
    assert settings.database_url == "postgresql://u@db:5432/housing"
    assert settings.relay_batch_size == 25


def test_single_partner_id(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FRANOI_PARTNER_ID", "p07")
    assert PartnerServiceSettings().partner_ids == ("p07",)


@pytest.mark.parametrize("bad", ["P07", "p7", "p1234", "p03,", "p03, p04", "p03;p04", "x01", ""])
def test_bad_partner_id_rejected(clean_env: pytest.MonkeyPatch, bad: str) -> None:
    clean_env.setenv("FRANOI_PARTNER_ID", bad)
    with pytest.raises(ValidationError):
        PartnerServiceSettings()


def test_production_refuses_default_jwt_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FRANOI_ENV", "production")
    clean_env.setenv("FRANOI_SHREDDING", "true")
    clean_env.setenv("FRANOI_PSEUDONYM_KEY", STRONG_PSEUDONYM_KEY)
    with pytest.raises(ValidationError, match="FRANOI_JWT_KEY"):
        PartnerServiceSettings()
    with pytest.raises(ValidationError, match="FRANOI_JWT_KEY"):
        ProjectionSettings()
    with pytest.raises(ValidationError, match="FRANOI_JWT_KEY"):
        ServiceSettings()


def test_production_refuses_default_pseudonym_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FRANOI_ENV", "production")
    clean_env.setenv("FRANOI_SHREDDING", "true")
    clean_env.setenv("FRANOI_JWT_KEY", STRONG_JWT_KEY)
    with pytest.raises(ValidationError, match="FRANOI_PSEUDONYM_KEY"):
        PartnerServiceSettings()
    clean_env.setenv("FRANOI_PSEUDONYM_KEY", STRONG_PSEUDONYM_KEY)
    settings = PartnerServiceSettings()
    assert settings.pseudonym_key.get_secret_value() == STRONG_PSEUDONYM_KEY
    assert settings.auth.key.get_secret_value() == STRONG_JWT_KEY
    assert ProjectionSettings().env is Environment.PRODUCTION


def test_production_shreds_pseudonyms(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FRANOI_ENV", "production")
    clean_env.setenv("FRANOI_JWT_KEY", STRONG_JWT_KEY)
    clean_env.setenv("FRANOI_PSEUDONYM_KEY", STRONG_PSEUDONYM_KEY)
    with pytest.raises(ValidationError, match="FRANOI_SHREDDING"):
        PartnerServiceSettings()
    clean_env.setenv("FRANOI_SHREDDING", "true")
    assert PartnerServiceSettings().shredding


def test_development_accepts_default_keys(clean_env: pytest.MonkeyPatch) -> None:
    assert PartnerServiceSettings().env is Environment.DEVELOPMENT


def test_secrets_are_not_printed(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FRANOI_JWT_KEY", STRONG_JWT_KEY)
    clean_env.setenv("FRANOI_PSEUDONYM_KEY", STRONG_PSEUDONYM_KEY)
    text = repr(PartnerServiceSettings())
    assert STRONG_JWT_KEY not in text
    assert STRONG_PSEUDONYM_KEY not in text


def test_projection_topic_pattern_must_compile(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FRANOI_TOPIC_PATTERN", r"franoi\.(p07")
    with pytest.raises((ValidationError, re.error)):
        ProjectionSettings()


def test_kafka_settings_bounds() -> None:
    with pytest.raises(ValidationError):
        KafkaSettings(topic_partitions=0)
    with pytest.raises(ValidationError):
        KafkaSettings(security_protocol="PLAINTEXTX")


# --------------------------------------------------------------------------------------------
# auth
# --------------------------------------------------------------------------------------------

AUTH = AuthSettings(
    key=SecretStr("unit-test-jwt-key-" + "0123456789abcdef" * 4),
    issuer="https://idp.unit.example",
    audience="franoi-unit",
)


def claims(**overrides: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    values: dict[str, Any] = {
        "sub": "worker-1",
        "partner_id": "p07",
        "roles": ["social_worker"],
        "iss": AUTH.issuer,
        "aud": AUTH.audience,
        "iat": now,
        "exp": now + dt.timedelta(hours=1),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def signed(payload: dict[str, Any], algorithm: str = "HS256", key: str | None = None) -> str:
    return jwt.encode(payload, key or AUTH.key.get_secret_value(), algorithm=algorithm)


def test_mint_then_verify() -> None:
    token = mint_token(
        AUTH, subject="alice", partner_id="p07", roles=["social_worker", "partner_admin"]
    )
    principal = TokenVerifier(AUTH).verify(token)
    assert principal == Principal(
        "alice", "p07", frozenset({Role.SOCIAL_WORKER, Role.PARTNER_ADMIN})
    )
    consortium = mint_token(
        AUTH, subject="bob", partner_id="consortium", roles=["consortium_analyst"]
    )
    assert TokenVerifier(AUTH).verify(consortium).partner_id == "consortium"


def test_unknown_roles_are_dropped() -> None:
    token = signed(claims(roles=["social_worker", "superuser", "admin"]))
    assert TokenVerifier(AUTH).verify(token).roles == frozenset({Role.SOCIAL_WORKER})
    assert TokenVerifier(AUTH).verify(signed(claims(roles=["root"]))).roles == frozenset()


def _none_token() -> str:
    return jwt.encode(claims(), key=None, algorithm="none")


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (
            lambda: signed(
                claims(
                    iat=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10),
                    exp=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
                )
            ),
            "expired",
        ),
        (lambda: signed(claims(aud="someone-else")), "audience"),
        (lambda: signed(claims(iss="https://evil.example")), "issuer"),
        (lambda: signed(claims(), key="another-key-0123456789abcdef-0123456789ab"), "signature"),
        (_none_token, "invalid token"),
        (lambda: signed(claims(), algorithm="HS512"), "invalid token"),
        (lambda: signed(claims(exp=None)), "exp"),
        (lambda: signed(claims(sub=None)), "sub"),
        (lambda: "not-a-jwt", "invalid token"),
    ],
    ids=[
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "wrong-key",
        "alg-none",
        "hs512-when-hs256-pinned",
        "no-exp",
        "no-sub",
        "garbage",
    ],
)
def test_verify_rejects(make_token: Any, reason: str) -> None:
    with pytest.raises(HTTPException) as info:
        TokenVerifier(AUTH).verify(make_token())
    assert info.value.status_code == 401
    assert reason.lower() in str(info.value.detail).lower()
    assert info.value.headers == {"WWW-Authenticate": "Bearer"}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (claims(partner_id=None), "partner_id"),
        (claims(partner_id="P07"), "partner_id"),
        (claims(partner_id="p07,p08"), "partner_id"),
        (claims(partner_id=7), "partner_id"),
        (claims(partner_id=["p07", "p08"]), "partner_id"),
        (claims(roles="social_worker"), "roles"),
        (claims(roles=None), "roles"),
        (claims(roles=[["social_worker"]]), "roles"),
    ],
    ids=[
        "no-partner",
        "malformed-partner",
        "partner-list-in-a-string",
        "partner-not-str",
        "two-partners",
        "roles-str",
        "roles-missing",
        "roles-nested",
    ],
)
def test_an_authentic_token_without_partner_or_roles_is_forbidden(
    payload: dict[str, Any], reason: str
) -> None:
    """The token is genuine but says nothing the services can authorise: 403, not 401."""
    with pytest.raises(HTTPException) as info:
        TokenVerifier(AUTH).verify(signed(payload))
    assert info.value.status_code == 403
    assert reason in str(info.value.detail)


def test_partner_and_roles_from_configured_claims() -> None:
    """A realm's mapper or a group claim can supply the partner and the roles."""
    settings = AUTH.model_copy(
        update={
            "partner_claim": "groups",
            "partner_prefix": "/partners/",
            "roles_claim": "realm_access.roles",
        }
    )
    payload = claims(partner_id=None, roles=None)
    payload["groups"] = ["/partners/p07", "/staff"]
    payload["realm_access"] = {"roles": ["social_worker", "offline_access"]}
    principal = TokenVerifier(settings).verify(signed(payload))
    assert principal.partner_id == "p07"
    assert principal.roles == {Role.SOCIAL_WORKER}
    payload["groups"] = ["/partners/p07", "/partners/p08"]
    with pytest.raises(HTTPException) as info:
        TokenVerifier(settings).verify(signed(payload))
    assert info.value.status_code == 403


def test_verify_allows_small_clock_skew() -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=10)
    token = signed(claims(exp=past))
    assert TokenVerifier(AUTH).verify(token).subject == "worker-1"


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    """A valid token is verified once and remembered, but only until it expires."""
    settings = AUTH.model_copy(update={"leeway_seconds": 0})
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    token = signed(claims(exp=soon))
    verifier = TokenVerifier(settings, cache_size=2)
    assert verifier.verify(token).subject == "worker-1"
    with monkeypatch.context() as patched:
        patched.setattr(jwt, "decode", lambda *a, **k: pytest.fail("verified twice"))
        assert verifier.verify(token).subject == "worker-1"  # remembered
    time.sleep(max(0.0, soon.timestamp() - time.time()) + 0.2)
    with pytest.raises(HTTPException) as info:
        verifier.verify(token)
    assert info.value.status_code == 401
    assert "expired" in str(info.value.detail).lower()


def test_mint_refuses_asymmetric_settings() -> None:
    with pytest.raises(ValueError, match="HS256"):
        mint_token(
            AuthSettings(algorithm="RS256"), subject="a", partner_id="p07", roles=["integrator"]
        )


def test_token_cli_prints_a_token_that_verifies(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("FRANOI_JWT_KEY", AUTH.key.get_secret_value())
    clean_env.setenv("FRANOI_JWT_ISSUER", AUTH.issuer)
    clean_env.setenv("FRANOI_JWT_AUDIENCE", AUTH.audience)
    token_cli(["--partner", "p12", "--role", "social_worker", "--role", "partner_admin"])
    out = capsys.readouterr().out
    assert out.endswith("\n") and out.count("\n") == 1
    principal = TokenVerifier(AUTH).verify(out.strip())
    assert principal.partner_id == "p12"
    assert principal.subject == "dev-user"
    assert principal.roles == {Role.SOCIAL_WORKER, Role.PARTNER_ADMIN}


@pytest.mark.parametrize(
    "argv",
    [
        ["--partner", "P12", "--role", "social_worker"],
        ["--partner", "p12", "--role", "superuser"],
        ["--partner", "p12"],
    ],
)
def test_token_cli_rejects_bad_arguments(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        token_cli(argv)
    assert info.value.code == 2
    assert capsys.readouterr().out == ""


def _auth_app() -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = TokenVerifier(AUTH)
    install_error_handlers(app)

    @app.get("/cases")
    def cases(
        principal: Annotated[Principal, Depends(require_partner_member(("p07", "p08")))],
    ) -> dict[str, str]:
        return {"partner_id": principal.partner_id}

    @app.get("/network")
    def network(
        principal: Annotated[Principal, Depends(require_roles(Role.CONSORTIUM_ANALYST))],
    ) -> dict[str, str]:
        return {"subject": principal.subject}

    return app


def bearer(partner_id: str, *roles: str) -> dict[str, str]:
    token = mint_token(AUTH, subject="u", partner_id=partner_id, roles=list(roles))
    return {"Authorization": f"Bearer {token}"}


def test_require_partner_member_and_roles() -> None:
    client = TestClient(_auth_app())
    assert client.get("/cases").status_code == 401
    assert client.get("/cases", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/cases", headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    ok = client.get("/cases", headers=bearer("p08", "social_worker"))
    assert ok.status_code == 200 and ok.json() == {"partner_id": "p08"}
    assert client.get("/cases", headers=bearer("p08", "partner_admin")).status_code == 200
    other = client.get("/cases", headers=bearer("p09", "social_worker"))
    assert other.status_code == 403
    assert client.get("/cases", headers=bearer("p07", "integrator")).status_code == 403
    assert client.get("/cases", headers=bearer("consortium", "social_worker")).status_code == 403
    assert client.get("/network", headers=bearer("consortium", "social_worker")).status_code == 403
    analyst = client.get("/network", headers=bearer("consortium", "consortium_analyst"))
    assert analyst.status_code == 200


# --------------------------------------------------------------------------------------------
# http
# --------------------------------------------------------------------------------------------


class _Body(BaseModel):
    person_identifier: str
    beds: int


def test_error_handlers_never_echo_submitted_values() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    def create(body: _Body) -> dict[str, int]:
        return {"beds": body.beds}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(SECRET)

    client = TestClient(app, raise_server_exceptions=False)
    response = client.post("/things", json={"person_identifier": SECRET, "beds": SECRET})
    assert response.status_code == 422
    assert SECRET not in response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["code"] == "invalid_request"
    assert {tuple(p["loc"]) for p in problem["errors"]} == {("body", "beds")}
    assert "body.beds" in problem["detail"]
    failed = client.get("/boom")
    assert failed.status_code == 500
    assert failed.json() == {
        "type": "https://franoi.org/problems/internal_error",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "internal error",
        "code": "internal_error",
    }
    assert SECRET not in failed.text


def test_health_routes() -> None:
    async def ok() -> None:
        return None

    async def down() -> None:
        raise ConnectionRefusedError("db")

    readiness = Readiness(required={"database": ok})
    readiness.inform("kafka", down, "the outbox keeps the events")
    app = FastAPI()
    install_health_routes(app, Health(readiness=readiness), timeout_s=1)
    client = TestClient(app)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "kafka": "unavailable (ConnectionRefusedError)"},
        "not_required": {"kafka": "the outbox keeps the events"},
    }

    unready_app = FastAPI()
    install_health_routes(unready_app, Health(Readiness(required={"database": down})), timeout_s=1)
    unready = TestClient(unready_app).get("/readyz")
    assert unready.status_code == 503
    assert unready.json()["status"] == "unready"

    readiness.require("kafka")  # as in a worker's own process
    required = TestClient(app).get("/readyz")
    assert required.status_code == 503
    assert "not_required" not in required.json()


class _Loop(BackgroundWorker):
    """A worker whose rounds the test drives: each item of ``rounds`` is a round that
    succeeds (True), fails (False) or never ends (None)."""

    def __init__(self, rounds: list[bool | None]) -> None:
        self.rounds = rounds

    async def _run(self) -> None:
        for outcome in self.rounds:
            if outcome is None:
                await asyncio.Event().wait()  # frozen
            elif outcome:
                self.progressed()
            else:
                self.failed(KafkaConnectionError())
            await asyncio.sleep(0.01)
        while True:  # idle rounds, each a success
            self.progressed()
            await asyncio.sleep(0.01)

    async def _close(self) -> None:
        return None


async def test_a_worker_is_stalled_when_its_loop_stops_completing_rounds() -> None:
    idle = _Loop([])
    idle.stall_after_s = 0.2
    assert idle.stalled() is None  # not started
    await idle.start()
    await asyncio.sleep(0.4)
    assert idle.stalled() is None  # nothing to do, and still going round
    await idle.stop()

    frozen = _Loop([True, None])
    frozen.stall_after_s = 0.2
    await frozen.start()
    await asyncio.sleep(0.1)
    assert frozen.stalled() is None
    await asyncio.sleep(0.3)
    stall = frozen.stalled()
    assert stall is not None and not stall.failing
    assert re.fullmatch(r"no round completed for \d+ s", stall.why)
    await frozen.stop()

    failing = _Loop([False] * 100)
    failing.stall_after_s = 0.2
    await failing.start()
    await asyncio.sleep(0.4)
    stall = failing.stalled()
    assert stall is not None and stall.failing
    assert re.fullmatch(
        r"every round failed for \d+ s \(last error: KafkaConnectionError\)", stall.why
    )
    await failing.stop()


async def test_liveness_fails_for_a_stalled_worker_and_waits_for_an_unavailable_dependency() -> (
    None
):
    """A worker failing while every dependency answers is stalled (503: restart it); failing
    while one is away, it is waiting (200: a restart would not bring it back); a frozen
    loop is stalled either way."""
    broker_up = True

    async def database() -> None:
        return None

    async def broker() -> None:
        if not broker_up:
            raise ConnectionRefusedError("broker")

    readiness = Readiness(required={"database": database})
    readiness.inform("broker", broker, "the outbox keeps the events")
    failing = _Loop([False] * 1000)
    failing.stall_after_s = 0.2
    frozen = _Loop([None])
    frozen.stall_after_s = 0.2
    health = Health(readiness=readiness, liveness=Liveness({"relay": failing}))
    app = FastAPI()
    install_health_routes(app, health)
    await failing.start()
    await frozen.start()
    await asyncio.sleep(0.4)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        stalled = await client.get("/healthz")
        assert stalled.status_code == 503
        assert stalled.json()["status"] == "stalled"
        assert stalled.json()["workers"]["relay"].startswith("every round failed for")

        broker_up = False
        waiting = await client.get("/healthz")
        assert waiting.status_code == 200
        assert waiting.json()["status"] == "ok"
        assert waiting.json()["waiting"]["relay"].endswith(", while unavailable: broker")

        health.liveness.workers["erasure"] = frozen
        frozen_answer = await client.get("/healthz")
        assert frozen_answer.status_code == 503
        assert set(frozen_answer.json()["workers"]) == {"erasure"}
    await failing.stop()
    await frozen.stop()


async def test_a_worker_whose_loop_ended_is_stalled() -> None:
    class Crashing(_Loop):
        async def _run(self) -> None:
            raise RuntimeError("bug")

    crashing = Crashing([])
    await crashing.start()
    await asyncio.sleep(0.05)
    stall = crashing.stalled()
    assert stall is not None and stall.why == "the loop has ended (RuntimeError)"
    with pytest.raises(RuntimeError):
        await crashing.stop()


def test_envelope_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample_envelope().id = "x"  # type: ignore[misc]


def test_a_query_stopped_by_the_read_timeout_is_a_503_problem() -> None:
    import asyncpg

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/slow")
    def slow() -> None:
        raise asyncpg.QueryCanceledError("canceling statement due to statement timeout")

    response = TestClient(app, raise_server_exceptions=False).get("/slow")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "query_timeout"


@pytest.mark.parametrize(
    "lost",
    [
        ConnectionRefusedError("refused"),
        "connection_does_not_exist",
        "internal_client_error",
    ],
)
def test_a_database_away_is_a_503_problem_never_a_500(lost: object) -> None:
    """Whatever a lost or refused connection raises (a server killed mid-statement leaves
    asyncpg's protocol in an internal error), the answer is 503 with Retry-After."""
    import asyncpg

    errors = {
        "connection_does_not_exist": asyncpg.ConnectionDoesNotExistError("closed"),
        "internal_client_error": asyncpg.InternalClientError(
            "cannot switch to state 15; another operation (2) is in progress"
        ),
    }
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/read")
    def read() -> None:
        raise errors.get(str(lost), lost)  # type: ignore[misc]

    response = TestClient(app, raise_server_exceptions=False).get("/read")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "database_unavailable"


def test_a_body_that_is_not_json_is_a_400_problem() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    def create(body: _Body) -> dict[str, int]:
        return {"beds": body.beds}

    response = TestClient(app).post(
        "/things", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_body"


def test_minted_tokens_need_a_positive_lifetime() -> None:
    from franoi_common.auth import token_cli

    with pytest.raises(ValueError, match="positive lifetime"):
        mint_token(AUTH, subject="a", partner_id="p07", roles=[], ttl=dt.timedelta(0))
    with pytest.raises(SystemExit):
        token_cli(["--partner", "p07", "--role", "social_worker", "--hours", "0"])
    with pytest.raises(SystemExit):
        token_cli(["--partner", "p07", "--role", "social_worker", "--hours", "-1"])
