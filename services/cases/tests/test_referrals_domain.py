"""Referrals: the state machine on both sides, what crosses under which consent, and the
sealed part (pure, no I/O)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_cases.adapters.sealing import (
    ReferralKeys,
    Unopenable,
    decode_private_key,
    development_private_key,
    public_key_text,
)
from franoi_cases.domain import model
from franoi_cases.domain.referrals import (
    ExpiryBadge,
    NotTheReferredPerson,
    Referral,
    ReferralState,
    Referrer,
    Side,
    WrongPartner,
    expiry_badge,
    identity_of,
    sealed_part,
    shared_fields,
)
from franoi_common.pseudonym import person_ref
from franoi_contracts.base import ProtectionStatus, Sex
from franoi_contracts.referrals import (
    DeclineReason,
    ReferralAccepted,
    ReferralAxis,
    ReferralCompleted,
    ReferralProposed,
    ReferralReason,
    ReferralWithdrawn,
    Urgency,
    WithdrawalReason,
)

TODAY = dt.date(2026, 3, 10)
KEY = b"test-pseudonym-key-0123456789"
SEALED = "A" * 120


def person(tax_code: str = "DLLMNA95B43Z319K") -> model.Person:
    return model.Person.register(
        person_id=uuid4(),
        identity=model.Identity(
            given_names="Amina",
            family_name="Diallo",
            born_on=dt.date(1995, 2, 3),
            sex=Sex.FEMALE,
            citizenship="GN",
            protection_status=ProtectionStatus.REFUGEE,
        ),
        registered_on=TODAY,
        pseudonymise=lambda identifier: person_ref(identifier, KEY),
        documents=model.Documents(tax_code),
        contacts=model.Contacts(phone="+39 333 1234567"),
    )


def proposed(who: model.Person | None = None, **changes: Any) -> Referral:
    args: dict[str, Any] = {
        "referral_id": uuid4(),
        "person": who or person(),
        "partner_id": "p01",
        "to_partner_id": "p02",
        "axis": ReferralAxis.WHOLE_CASE,
        "reason": ReferralReason.OPPORTUNITY_ELSEWHERE,
        "urgency": Urgency.ROUTINE,
        "today": TODAY,
        "expires_on": None,
        "identity_shared": False,
        "sealed_for_receiver": SEALED,
    }
    args.update(changes)
    return Referral.propose(**args)


def received(sent: Referral) -> Referral:
    event = sent.events[0]
    assert isinstance(event, ReferralProposed)
    assert sent.person_ref is not None
    return Referral.received(event, sent.person_ref, b"sealed")


def test_a_proposal_publishes_coarse_attributes_and_the_sealed_part_only() -> None:
    sent = proposed()
    (event,) = sent.events
    assert isinstance(event, ReferralProposed)
    assert event.expires_on == TODAY + dt.timedelta(days=14)
    assert event.sex is Sex.FEMALE and event.protection_status is ProtectionStatus.REFUGEE
    assert set(event.data()) == {
        "referral_id", "referring_partner_id", "receiving_partner_id", "axis", "person_ref",
        "sex", "age_band", "protection_status", "reason", "urgency", "proposed_on",
        "expires_on", "identity_shared", "sealed_for_receiver",
    }  # fmt: skip
    assert sent.state is ReferralState.PROPOSED and sent.side is Side.SENT


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"to_partner_id": "p01"}, "itself"),
        ({"expires_on": TODAY - dt.timedelta(days=1)}, "expires_on"),
        ({"expires_on": TODAY + dt.timedelta(days=91)}, "expires_on"),
    ],
)
def test_a_proposal_is_refused_when(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(model.CasesError, match=message):
        proposed(**changes)


def test_a_person_without_documents_cannot_be_referred() -> None:
    nobody = person()
    nobody.person_ref = None
    with pytest.raises(model.CasesError, match="document identifier"):
        proposed(nobody)


def test_accept_then_complete_with_the_referred_persons_documents() -> None:
    sent = proposed()
    at_b = received(sent)
    assert at_b.accept(TODAY)
    assert not at_b.accept(TODAY)  # a repeat changes nothing
    assert isinstance(at_b.events[-1], ReferralAccepted)
    with pytest.raises(NotTheReferredPerson):
        at_b.complete(TODAY, person("RSSMRA80A01H501U"))
    arrived = person()
    assert at_b.complete(TODAY + dt.timedelta(days=1), arrived)
    assert at_b.state is ReferralState.COMPLETED and at_b.person_id == arrived.person_id
    completed = at_b.events[-1]
    assert isinstance(completed, ReferralCompleted)
    # The referring side hears both and ends completed, closing the whole case.
    for event in at_b.events:
        sent.hear(event)
    assert sent.state is ReferralState.COMPLETED and sent.closes_case


def test_only_the_receiving_side_answers_and_only_the_referring_one_withdraws() -> None:
    sent = proposed()
    at_b = received(sent)
    with pytest.raises(WrongPartner):
        sent.accept(TODAY)
    with pytest.raises(WrongPartner):
        sent.decline(TODAY, DeclineReason.NO_CAPACITY)
    with pytest.raises(WrongPartner):
        at_b.withdraw(TODAY, WithdrawalReason.NO_LONGER_NEEDED)


def test_a_withdrawn_referral_cannot_be_accepted_declined_or_completed() -> None:
    sent = proposed()
    at_b = received(sent)
    assert sent.withdraw(TODAY, WithdrawalReason.REFERRED_ELSEWHERE)
    withdrawn = sent.events[-1]
    assert isinstance(withdrawn, ReferralWithdrawn)
    assert at_b.hear(withdrawn)
    for move in (
        lambda: at_b.accept(TODAY),
        lambda: at_b.decline(TODAY, DeclineReason.OTHER),
        lambda: at_b.complete(TODAY, person()),
    ):
        with pytest.raises(model.InvalidTransition):
            move()


def test_an_expired_referral_cannot_be_accepted_and_shows_its_badge() -> None:
    sent = proposed(expires_on=TODAY + dt.timedelta(days=2))
    at_b = received(sent)
    assert expiry_badge(at_b.state_on(TODAY), at_b.expires_on, TODAY) is ExpiryBadge.DUE_SOON
    later = TODAY + dt.timedelta(days=3)
    assert at_b.state_on(later) is ReferralState.EXPIRED
    assert expiry_badge(at_b.state_on(later), at_b.expires_on, later) is ExpiryBadge.EXPIRED
    with pytest.raises(model.InvalidTransition, match="expired"):
        at_b.accept(later)


def test_both_sides_agree_when_a_withdrawal_crosses_an_acceptance() -> None:
    sent = proposed()
    at_b = received(sent)
    at_b.accept(TODAY)
    sent.withdraw(TODAY, WithdrawalReason.PERSON_DECLINED)
    assert not sent.hear(at_b.events[-1])  # the acceptance arrives after the withdrawal
    assert at_b.hear(sent.events[-1])  # the withdrawal arrives after the acceptance
    assert sent.state is at_b.state is ReferralState.WITHDRAWN


def test_a_completion_wins_over_a_withdrawal_crossing_it() -> None:
    sent = proposed()
    at_b = received(sent)
    at_b.accept(TODAY)
    at_b.complete(TODAY, person())
    sent.withdraw(TODAY, WithdrawalReason.NO_LONGER_NEEDED)
    assert not at_b.hear(sent.events[-1])
    assert sent.hear(at_b.events[-1])
    assert sent.state is at_b.state is ReferralState.COMPLETED


def test_a_withdrawal_for_an_erasure_erases_what_the_receiving_side_holds() -> None:
    sent = proposed()
    at_b = received(sent)
    sent.withdraw(TODAY, WithdrawalReason.PERSON_ERASED)
    at_b.hear(sent.events[-1])
    assert at_b.person_ref is None and at_b.sealed is None


def test_what_crosses_is_what_the_consent_names() -> None:
    who = person()
    identity = identity_of(who, {"tax_code": "DLLMNA95B43Z319K", "residence_permit": None})
    referrer = Referrer("Maria Rossi", email="m.rossi@coop.example.org").checked()
    assert who.person_ref is not None
    bare = sealed_part(who.person_ref, identity, [model.ConsentScope.PROCESSING], referrer, None)
    assert bare["identity"] is None and bare["person_ref"] == who.person_ref
    assert bare["referrer"]["email"] == "m.rossi@coop.example.org"
    names = sealed_part(
        who.person_ref, identity, [model.ConsentScope.REFERRAL_IDENTITY], referrer, None
    )
    assert set(names["identity"]) == {
        "given_names",
        "family_name",
        "born_on",
        "citizenship",
    }  # fmt: skip  (no languages recorded: left out)
    everything = sealed_part(
        who.person_ref,
        identity,
        [
            model.ConsentScope.REFERRAL_IDENTITY,
            model.ConsentScope.REFERRAL_DOCUMENTS,
            model.ConsentScope.REFERRAL_CONTACTS,
        ],
        referrer,
        [],
    )
    assert everything["identity"]["tax_code"] == "DLLMNA95B43Z319K"
    assert everything["identity"]["phone"] == "+39 333 1234567"
    assert (
        "residence_permit" not in everything["identity"] and "email" not in everything["identity"]
    )
    assert shared_fields([model.ConsentScope.REFERRAL_CONTACTS]) == ("phone", "email")


def test_a_referrer_gives_a_professional_contact() -> None:
    with pytest.raises(model.InvalidValue, match="professional"):
        Referrer("Maria Rossi").checked()
    with pytest.raises(model.InvalidValue, match="e-mail"):
        Referrer("Maria Rossi", email="not an address").checked()


def test_the_sealed_part_opens_only_for_the_receiving_partner_and_referral() -> None:
    sender = ReferralKeys({"p01": development_private_key("p01")}, {}, development=True)
    receiver = ReferralKeys({"p02": development_private_key("p02")}, {})
    other = ReferralKeys({"p03": development_private_key("p03")}, {})
    rid = uuid4()
    sealed = sender.seal({"person_ref": "ab" * 32}, rid, "p02")
    assert receiver.open(sealed, rid, "p02") == {"person_ref": "ab" * 32}
    with pytest.raises(Unopenable):
        other.open(sealed, rid, "p03")  # another partner
    with pytest.raises(Unopenable):
        receiver.open(sealed, uuid4(), "p02")  # copied into another referral
    with pytest.raises(Unopenable):
        sender.open(sealed, rid, "p01")  # not even the sender after sealing
    production = ReferralKeys({"p01": development_private_key("p01")}, {})
    assert not production.can_seal_to("p02")  # no public key configured, no development keys


def test_keys_are_given_as_base64() -> None:
    key = development_private_key("p07")
    text = public_key_text(key)
    assert len(text) == 44
    raw = key.private_bytes_raw()
    again = decode_private_key(base64.b64encode(raw).decode())
    assert public_key_text(again) == text
    with pytest.raises(ValueError, match="32 bytes"):
        decode_private_key("c2hvcnQ=")
