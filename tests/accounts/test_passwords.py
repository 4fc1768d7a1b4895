"""DPP 1.4 password rules, each with its own message, through Django's password validators."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from grc.accounts.models import PasswordHistory, User
from grc.accounts.passwords import CharacterClassValidator, NoPartOfNameValidator
from grc.compliance.models import Obligation
from tests.accounts.conftest import set_password_now
from tests.conftest import TEST_PASSWORD, signed_in

TOO_SHORT = "This password is too short. It must contain at least 12 characters."
NO_UPPER = "The password must contain at least one upper-case letter (A–Z)."
NO_LOWER = "The password must contain at least one lower-case letter (a–z)."
NO_DIGIT = "The password must contain at least one digit (0–9)."
NO_SPECIAL = "The password must contain at least one special character, such as ! ? # % or a space."
HAS_NAME = "The password must not contain any part of your name or username."
TOO_YOUNG = "You changed your password less than a day ago. Passwords have a minimum age of 1 day."
REUSED = "You used this password recently. Choose one different from your last 5."


def messages_for(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


def person(**fields) -> User:
    values = {"username": "kwalker", "first_name": "Olivia", "last_name": "Brennan", "email": "obrennan.ops@example.test"}
    return User(**{**values, **fields})


def test_it_accepts_a_password_that_meets_every_rule():
    assert messages_for("Blue-Lantern-Rises-42", person()) == []


def test_it_refuses_fewer_than_12_characters_with_its_own_message():
    assert messages_for("Bl-Lantern4", person()) == [TOO_SHORT]
    assert messages_for("Bl-Lantern42", person()) == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("blue-lantern-rises-42", NO_UPPER),
        ("BLUE-LANTERN-RISES-42", NO_LOWER),
        ("Blue-Lantern-Rises-xx", NO_DIGIT),
        ("BlueLanternRises42", NO_SPECIAL),
    ],
)
def test_each_missing_character_class_reports_its_own_message(password, message):
    assert messages_for(password, person()) == [message]


def test_it_lists_every_missing_class_at_once():
    with pytest.raises(ValidationError) as caught:
        CharacterClassValidator().validate("lanternlanternlantern")
    assert caught.value.messages == [NO_UPPER, NO_DIGIT, NO_SPECIAL]


@pytest.mark.parametrize(
    "password",
    [
        "Zz9!KWALKERtree",  # the username, in another case
        "Zz9!oliviaTree",  # the first name
        "Zz9!treeBrennan",  # the last name
        "Zz9!obrennanTree",  # the email's local part
        "Zz9!TreeOpsHouse",  # a 3-letter piece of the email's local part
    ],
)
def test_it_refuses_any_part_of_the_users_name(password):
    assert messages_for(password, person()) == [HAS_NAME]


def test_it_refuses_the_name_even_where_similarity_would_not():
    """Django's UserAttributeSimilarityValidator let this through for a user named Smith (STACK.md)."""
    smith = person(username="jsmith", first_name="John", last_name="Smith", email="john.smith@example.test")
    assert messages_for("Xy7!smithQwerty", smith) == [HAS_NAME]


def test_it_ignores_name_parts_shorter_than_3_letters():
    assert messages_for("Zz9!AlTreeHouse", person(first_name="Al", username="alb", email="x@example.test", last_name="Bo")) == []


def test_the_name_rule_is_skipped_without_a_user():
    NoPartOfNameValidator().validate("Olivia-Brennan-42", None)


def test_it_refuses_a_common_password():
    assert "This password is too common." in messages_for("Password1234", person())


@pytest.mark.django_db
def test_it_refuses_a_new_password_within_one_day_of_the_last_change(lead, time_machine):
    set_password_now(lead)
    time_machine.move_to(lead.password_changed_at + timedelta(hours=23, minutes=59), tick=False)
    assert messages_for("Blue-Lantern-Rises-42", lead) == [TOO_YOUNG]
    time_machine.move_to(lead.password_changed_at + timedelta(hours=24), tick=False)
    assert messages_for("Blue-Lantern-Rises-42", lead) == []


@pytest.mark.django_db
def test_an_administrators_reset_is_not_held_by_the_minimum_age(lead):
    set_password_now(lead)
    lead._password_reset_by_admin = True
    assert messages_for("Blue-Lantern-Rises-42", lead) == []


@pytest.mark.django_db
def test_the_last_five_passwords_cannot_be_reused(staff, time_machine):
    set_password_now(staff)
    time_machine.move_to(staff.password_changed_at, tick=False)
    passwords = [TEST_PASSWORD] + [f"Blue-Lantern-Rises-{n}!" for n in range(2, 7)]
    for password in passwords[1:]:
        time_machine.shift(timedelta(hours=25))
        staff.set_password(password)
        staff.save()
    time_machine.shift(timedelta(hours=25))
    staff.refresh_from_db()
    assert PasswordHistory.objects.filter(user=staff).count() == 5
    for recent in passwords[1:]:
        assert messages_for(recent, staff) == [REUSED], recent
    assert messages_for(passwords[0], staff) == []  # the sixth-last may come back


@pytest.mark.django_db
def test_setting_a_password_records_when_and_keeps_its_hash(staff, time_machine):
    set_password_now(staff)
    time_machine.move_to(staff.password_changed_at + timedelta(days=2), tick=False)
    staff.set_password("Blue-Lantern-Rises-42")
    staff.save()
    staff.refresh_from_db()
    assert staff.password_changed_at == timezone.now()
    assert check_password("Blue-Lantern-Rises-42", staff.password_history.first().password)


@pytest.mark.django_db
def test_the_password_expires_after_365_days(staff):
    set_password_now(staff)
    assert staff.password_expires_at() == staff.password_changed_at + timedelta(days=365)
    assert not staff.password_expired(staff.password_changed_at + timedelta(days=364, hours=23))
    assert staff.password_expired(staff.password_changed_at + timedelta(days=365))


@pytest.mark.django_db
def test_each_password_opens_a_365_day_obligation_and_closes_the_previous_one(staff, time_machine):
    set_password_now(staff)
    first = Obligation.objects.get(kind="accounts.password_expiry", subject_type="accounts.user", subject_id=str(staff.pk))
    assert first.clause == "1.4" and first.owner == staff and first.completed_at is None
    assert first.anchor_at == staff.password_changed_at
    assert first.due_at == staff.password_changed_at + timedelta(days=365)
    assert first.url == reverse("accounts:password_change")

    time_machine.move_to(staff.password_changed_at + timedelta(days=100), tick=False)
    staff.set_password("Blue-Lantern-Rises-42")
    staff.save()
    first.refresh_from_db()
    assert first.completed_at == timezone.now()
    current = Obligation.objects.get(kind="accounts.password_expiry", subject_id=str(staff.pk), completed_at__isnull=True)
    assert current.due_at == timezone.now() + timedelta(days=365)


@pytest.mark.django_db
def test_the_change_page_refuses_a_second_change_within_a_day(client, staff, time_machine):
    set_password_now(staff)
    signed_in(client, staff)
    page = client.get(reverse("accounts:password_change"))
    assert "minimum age of 1 day" in page.content.decode()
    form = {"old_password": TEST_PASSWORD, "new_password1": "Blue-Lantern-Rises-42", "new_password2": "Blue-Lantern-Rises-42"}
    refused = client.post(reverse("accounts:password_change"), form)
    assert refused.status_code == 200
    assert TOO_YOUNG in refused.context["form"].errors["new_password2"]
    staff.refresh_from_db()
    assert staff.check_password(TEST_PASSWORD)

    time_machine.move_to(staff.password_changed_at + timedelta(hours=25), tick=False)
    signed_in(client, staff)
    accepted = client.post(reverse("accounts:password_change"), form)
    assert accepted.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("Blue-Lantern-Rises-42")


def _changepassword(monkeypatch, username: str, answers: list[str]) -> StringIO:
    replies = iter(answers)
    monkeypatch.setattr("django.contrib.auth.management.commands.changepassword.getpass.getpass", lambda prompt="": next(replies))
    out = StringIO()
    call_command("changepassword", username, stdout=out, stderr=out)
    return out


@pytest.mark.django_db
def test_manage_py_changepassword_enforces_the_same_rules(monkeypatch, staff, time_machine):
    set_password_now(staff)
    time_machine.move_to(staff.password_changed_at + timedelta(days=2), tick=False)
    weak = ["lanternlantern"] * 6
    with pytest.raises(CommandError, match="after 3 attempts"):
        _changepassword(monkeypatch, staff.username, weak)
    good = "Blue-Lantern-Rises-42"
    out = _changepassword(monkeypatch, staff.username, ["leewong-Lantern-42!", "leewong-Lantern-42!", good, good])
    assert HAS_NAME in out.getvalue()
    staff.refresh_from_db()
    assert staff.check_password(good)
    assert staff.password_changed_at == timezone.now()


@pytest.mark.django_db
def test_manage_py_changepassword_reports_each_failed_rule(monkeypatch, staff, time_machine):
    set_password_now(staff)
    time_machine.move_to(staff.password_changed_at + timedelta(days=2), tick=False)
    out = _changepassword(monkeypatch, staff.username, ["short", "short", "Blue-Lantern-Rises-42", "Blue-Lantern-Rises-42"])
    for message in (TOO_SHORT, NO_UPPER, NO_DIGIT, NO_SPECIAL):
        assert message in out.getvalue()


def test_production_hashes_with_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    encoded = make_password("Blue-Lantern-Rises-42")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("Blue-Lantern-Rises-42", encoded)
