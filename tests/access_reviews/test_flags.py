"""Account flags are pure functions of plain facts (DPP 1.2, 1.3, 1.4): no database here."""

from __future__ import annotations

from access_reviews.flags import AccountFacts, Flag, account_flags, flag_values, is_generic_name, is_privileged_role


def facts(**overrides) -> AccountFacts:
    base = {"name": "lee.wong", "has_person": True, "mfa": "yes", "has_approved_request": True}
    base.update(overrides)
    return AccountFacts(**base)


def test_it_gives_a_clean_personal_account_no_flags():
    assert account_flags(facts()) == frozenset()


def test_it_flags_an_account_without_a_person_as_orphan():
    assert Flag.ORPHAN in account_flags(facts(has_person=False))


def test_it_flags_an_account_of_a_terminated_person_as_orphan():
    assert Flag.ORPHAN in account_flags(facts(person_terminated=True))


def test_it_flags_generic_names_as_shared():
    for name in ["admin", "root", "Shared-Ops", "test01", "generic", "svc_backup", "service@example.com", "Administrator"]:
        assert Flag.SHARED in account_flags(facts(name=name)), name


def test_it_does_not_flag_personal_names_that_merely_contain_generic_letters():
    for name in ["badminton.fan", "rootsbury", "lee.wong@example.com", "contest.winner"]:
        assert not is_generic_name(name), name


def test_it_flags_an_account_marked_as_used_by_several_people_as_shared():
    assert Flag.SHARED in account_flags(facts(is_shared=True))


def test_it_flags_no_mfa_when_mfa_is_off_or_unknown():
    assert Flag.NO_MFA in account_flags(facts(mfa="no"))
    assert Flag.NO_MFA in account_flags(facts(mfa="unknown"))


def test_it_does_not_flag_no_mfa_on_a_service_account():
    assert Flag.NO_MFA not in account_flags(facts(mfa="no", is_service_account=True))


def test_it_flags_privileged_accounts_and_accounts_without_an_approved_request():
    flags = account_flags(facts(privileged=True, has_approved_request=False))
    assert {Flag.PRIVILEGED, Flag.NO_REQUEST} <= flags


def test_it_flags_a_revoked_account_that_is_still_present():
    assert Flag.REVOKED_PRESENT in account_flags(facts(revoked_present=True))


def test_it_turns_flags_into_the_stored_field_values():
    values = flag_values(frozenset({Flag.ORPHAN, Flag.NO_MFA}))
    assert values["flag_orphan"] and values["flag_no_mfa"] and not values["flag_shared"]
    assert values["flag_count"] == 2


def test_it_guesses_privileged_roles_from_their_names():
    assert is_privileged_role("Administrator")
    assert is_privileged_role("org-owner")
    assert is_privileged_role("SuperUser")
    assert not is_privileged_role("read-only")
    assert not is_privileged_role("")
