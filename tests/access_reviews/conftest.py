"""A small registry for the access-review tests, built through the services."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import pytest

from access_reviews.models import Account, Person, System
from access_reviews.services.registry import account_create, person_create, system_create

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_ids = count(1)


@pytest.fixture
def registry(db, lead, manager, other_manager, staff):
    """People mirroring the standing users: Tom (manager) manages Lee (staff); Priya (lead)."""
    return Registry(lead=lead, manager=manager, other_manager=other_manager, staff=staff)


class Registry:
    def __init__(self, *, lead, manager, other_manager, staff):
        self.lead_user = lead
        self.lead = self.person("Priya", "Shah", user=lead)
        self.manager = self.person("Tom", "Becker", user=manager, manager=self.lead)
        self.other_manager = self.person("Mira", "Okafor", user=other_manager, manager=self.lead)
        self.staff = self.person("Lee", "Wong", user=staff, manager=self.manager)

    def person(self, first: str, last: str, *, user=None, manager=None, **extra) -> Person:
        n = next(_ids)
        data = {
            "person_id": extra.pop("person_id", f"E{1000 + n}"),
            "first_name": first,
            "last_name": last,
            "email": extra.pop("email", f"{first.lower()}.{last.lower()}{n}@example.test"),
            "manager": manager,
            "user": user,
            "department": extra.pop("department", "Engineering"),
            "kind": extra.pop("kind", "employee"),
            "started_at": extra.pop("started_at", datetime(2025, 1, 6, tzinfo=UTC)),
        }
        return person_create(data=data, by=self.lead_user, now=NOW)

    def system(self, name: str = "Order DB", *, owner=None, **extra) -> System:
        data = {"name": name, "description": "", "owner": owner or self.lead_user, "holds_amazon_information": True, "in_scope": True}
        data.update(extra)
        return system_create(data=data, by=self.lead_user, now=NOW)

    def account(self, system: System, name: str, person: Person | None = None, **extra) -> Account:
        data = {
            "system": system,
            "name": name,
            "person": person,
            "mfa": extra.pop("mfa", "yes"),
            "privilege": extra.pop("privilege", "read"),
        }
        data.update(extra)
        return account_create(data=data, by=self.lead_user, now=NOW)

    def approve(self, account: Account) -> Account:
        """Link an approved access request to the account (clears its "no approved request" flag)."""
        from access_reviews.models import AccessRequest
        from access_reviews.services.registry import accounts_refresh_flags

        request = AccessRequest.objects.create(
            requester=account.person or self.lead,
            system=account.system,
            privilege=account.privilege,
            justification="needed for the job",
            approver=account.system.owner,
            status="approved",
            decided_at=NOW,
            decided_by=account.system.owner,
        )
        Account.objects.filter(pk=account.pk).update(access_request=request)
        accounts_refresh_flags(Account.objects.filter(pk=account.pk))
        account.refresh_from_db()
        return account
