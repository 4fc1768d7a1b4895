"""Writes to the registry: people, systems, accounts and their stored flags.

Every write records an audit event with changed field *names* only: names, emails and account
names are PII and never enter the trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction

from access_reviews.flags import is_privileged_role
from access_reviews.models import Account, Person, PersonStatus, System, TaskReason
from access_reviews.services.campaigns import quarterly_obligation_ensure
from access_reviews.services.deprovision import task_open
from access_reviews.services.flagging import accounts_refresh_flags, set_flags
from access_reviews.services.flagging import facts_for as facts_for  # re-exported: the registry's public face for an account's flag facts
from access_reviews.services.training import training_sync_person
from grc.audit.services import record_change
from grc.crypto import blind_index

PERSON_FIELDS = ("person_id", "first_name", "last_name", "email", "manager", "user", "department", "kind", "started_at")
SYSTEM_FIELDS = ("name", "description", "owner", "holds_amazon_information", "in_scope", "asset")
ACCOUNT_FIELDS = (
    "system",
    "name",
    "person",
    "is_service_account",
    "is_shared",
    "purpose",
    "privilege",
    "privileged",
    "mfa",
    "last_login_at",
    "enabled",
)


def email_index(email: str) -> str:
    return blind_index(email) if email.strip() else ""


def name_index(account_name: str) -> str:
    """Account names match ignoring case and surrounding spaces (as most identity providers do)."""
    return blind_index(account_name)


def _apply(instance, data: dict[str, Any], fields: Iterable[str]) -> list[str]:
    """Set the given fields from ``data``; returns the names of those whose value changed."""
    changed = []
    for field in fields:
        if field not in data:
            continue
        model_field = instance._meta.get_field(field)
        if model_field.is_relation:  # compare ids: an unsaved instance has no related object yet
            new = data[field].pk if data[field] is not None else None
            if getattr(instance, model_field.attname) != new:
                setattr(instance, field, data[field])
                changed.append(field)
        elif getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    return changed


def _check_person_unique(person: Person) -> None:
    if person.email_index and Person.objects.filter(email_index=person.email_index).exclude(pk=person.pk).exists():
        raise ValidationError({"email": "Another person in the registry has this email."})
    if Person.objects.filter(person_id=person.person_id).exclude(pk=person.pk).exists():
        raise ValidationError({"person_id": "Another person has this person id."})
    if person.manager_id and person.manager_id == person.pk:
        raise ValidationError({"manager": "A person cannot be their own manager."})


@transaction.atomic
def person_create(*, data: dict[str, Any], by, now: datetime, request=None) -> Person:
    person = Person(created_at=now)
    _apply(person, data, PERSON_FIELDS)
    person.email_index = email_index(person.email)
    _check_person_unique(person)
    person.save()
    record_change("created", person, request=request, actor=by, changed_fields=[f for f in PERSON_FIELDS if data.get(f)])
    training_sync_person(person=person, now=now)
    return person


@transaction.atomic
def person_update(*, person: Person, data: dict[str, Any], by, now: datetime, request=None) -> list[str]:
    changed = _apply(person, data, PERSON_FIELDS)
    if not changed:
        return []
    person.email_index = email_index(person.email)
    _check_person_unique(person)
    person.save()
    record_change("updated", person, request=request, actor=by, changed_fields=changed)
    return changed


@transaction.atomic
def person_terminate(*, person: Person, terminated_at: datetime, by, now: datetime, request=None, system_actor: str = "") -> list:
    """Mark a person terminated and open a 24-hour deprovisioning task for each enabled account.

    The clock runs from ``terminated_at`` (DPP 1.2: access removed within 24 hours), even when the
    termination is entered later. Service accounts they own are not disabled but become orphans
    (flagged) until they get a new owner. Returns the tasks opened.
    """
    if person.is_terminated:
        raise ValidationError("This person is already terminated.")
    if terminated_at > now:
        raise ValidationError({"terminated_at": "The termination time cannot be in the future."})
    person.status = PersonStatus.TERMINATED
    person.terminated_at = terminated_at
    person.save(update_fields=["status", "terminated_at", "updated_at"])
    record_change("terminated", person, request=request, actor=by, system_actor=system_actor, changed_fields=["status", "terminated_at"])
    tasks = [
        task_open(account=account, reason=TaskReason.TERMINATION, opened_at=terminated_at, person=person, by=by, request=request)
        for account in person.accounts.filter(enabled=True, removed_at__isnull=True, is_service_account=False).select_related("system")
    ]
    accounts_refresh_flags(Account.objects.filter(person=person))
    training_sync_person(person=person, now=now)
    return tasks


@transaction.atomic
def person_reinstate(*, person: Person, by, now: datetime, request=None) -> None:
    """Undo a termination entered by mistake (or a rehire): open tasks stay until closed."""
    person.status = PersonStatus.ACTIVE
    person.terminated_at = None
    person.save(update_fields=["status", "terminated_at", "updated_at"])
    record_change("reinstated", person, request=request, actor=by, changed_fields=["status", "terminated_at"])
    accounts_refresh_flags(Account.objects.filter(person=person))


@transaction.atomic
def system_create(*, data: dict[str, Any], by, now: datetime, request=None) -> System:
    system = System(created_at=now)
    _apply(system, data, SYSTEM_FIELDS)
    system.save()
    record_change("created", system, request=request, actor=by, changed_fields=[f for f in SYSTEM_FIELDS if f in data])
    quarterly_obligation_ensure(now=now)
    return system


@transaction.atomic
def system_update(*, system: System, data: dict[str, Any], by, now: datetime, request=None) -> list[str]:
    changed = _apply(system, data, SYSTEM_FIELDS)
    if changed:
        system.save()
        record_change("updated", system, request=request, actor=by, changed_fields=changed)
    return changed


PORTAL_SYSTEM_NAME = "DPP compliance portal"  # as migration 0004 names it (a migration keeps its own copy)


@transaction.atomic
def portal_system_ensure(*, by=None) -> System:
    """The portal's own System row, created as migration 0004 does if it is missing (a flushed test database).

    One in-scope system among the others (``holds_amazon_information``), outside the access reviews
    (``in_scope=False``): its accounts are the portal's users. Idempotent.
    """
    existing = System.objects.filter(is_portal=True).first()
    if existing is not None:
        return existing
    taken = System.objects.filter(name=PORTAL_SYSTEM_NAME).exists()
    name = f"{PORTAL_SYSTEM_NAME} (this portal)" if taken else PORTAL_SYSTEM_NAME
    system = System.objects.create(name=name, is_portal=True, holds_amazon_information=True, in_scope=False, description="")
    fields = ["name", "is_portal", "holds_amazon_information", "in_scope"]
    record_change("created", system, actor=by, system_actor="" if by else "access_reviews.portal_system_ensure", changed_fields=fields)
    return system


def _check_account(account: Account) -> None:
    if not account.name.strip():
        raise ValidationError({"name": "Give the account name."})
    account.name_index = name_index(account.name)
    if Account.objects.filter(system_id=account.system_id, name_index=account.name_index).exclude(pk=account.pk).exists():
        raise ValidationError({"name": "This system already has an account with this name."})


@transaction.atomic
def account_create(*, data: dict[str, Any], by, now: datetime, request=None) -> Account:
    account = Account(created_at=now)
    _apply(account, data, ACCOUNT_FIELDS)
    if "privileged" not in data:
        account.privileged = is_privileged_role(account.privilege)
    _check_account(account)
    set_flags(account)
    account.save()
    record_change("created", account, request=request, actor=by, changed_fields=[f for f in ACCOUNT_FIELDS if f in data])
    person = account.person if account.person_id else None
    if person is not None:
        training_sync_person(person=person, now=now)
        _open_task_if_terminated(account, by=by, request=request)
    return account


@transaction.atomic
def account_update(*, account: Account, data: dict[str, Any], by, now: datetime, request=None) -> list[str]:
    previous_person = account.person
    changed = _apply(account, data, ACCOUNT_FIELDS)
    if not changed:
        return []
    _check_account(account)
    set_flags(account)
    account.save()
    record_change("updated", account, request=request, actor=by, changed_fields=changed)
    for person in cast("set[Person]", {previous_person, account.person} - {None}):
        training_sync_person(person=person, now=now)
    _open_task_if_terminated(account, by=by, request=request)
    return changed


def _open_task_if_terminated(account: Account, *, by, request=None) -> None:
    """An enabled account of a terminated person is access that should already be gone: open its task."""
    person = account.person
    if person and person.is_terminated and account.enabled and account.removed_at is None and not account.is_service_account:
        # a terminated person has terminated_at (check constraint)
        opened_at = cast(datetime, person.terminated_at)
        task_open(account=account, reason=TaskReason.TERMINATION, opened_at=opened_at, person=person, by=by, request=request)
