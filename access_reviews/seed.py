"""Demo registry: people (some linked to the demo users), four systems, ~25 accounts with some
flagged, a terminated person whose 24-hour clock is running, and a review campaign in progress.

Shares ``ctx.made["systems"]`` and ``ctx.made["people"]`` (lists, in creation order) and the same
keyed by name/key as ``systems_by_name`` and ``people_by_key``."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from access_reviews.models import Account, Decision, Person
from access_reviews.rules import quarter_of
from access_reviews.services.campaigns import campaign_start, row_decide, rows_bulk_keep
from access_reviews.services.registry import account_create, account_update, person_create, person_terminate, system_create
from access_reviews.services.requests import access_request_create, access_request_decide, access_request_grant
from access_reviews.services.training import training_record_create
from grc.accounts.models import User

PEOPLE = [
    # key, person id, first, last, department, type, manager key, demo user key, years employed
    ("priya", "E1001", "Priya", "Shah", "Security", "employee", None, "lead", 4),
    ("tom", "E1002", "Tom", "Becker", "Engineering", "employee", "priya", "manager", 3),
    ("mira", "E1003", "Mira", "Okafor", "Operations", "employee", "priya", "manager2", 3),
    ("lee", "E1004", "Lee", "Wong", "Engineering", "employee", "tom", "staff", 2),
    ("jana", "E1005", "Jana", "Novak", "Operations", "employee", "mira", "staff2", 1),
    ("sam", "E1006", "Sam", "Ito", "Engineering", "employee", "tom", None, 2),
    ("noor", "C2001", "Noor", "Haddad", "Operations", "contractor", "mira", None, 0),
    ("ravi", "E1007", "Ravi", "Patel", "Engineering", "employee", "tom", None, 1),
    ("omar", "E1008", "Omar", "Said", "Operations", "employee", "tom", None, 2),
]
SYSTEMS = [
    ("Seller Central integration", "SP-API client that downloads orders and buyer addresses.", "lead"),
    ("AWS production", "Account hosting the order pipeline and its database backups.", "lead"),
    ("Google Workspace", "Email and shared drives (order exports are sometimes shared here).", "manager2"),
    ("Order DB", "PostgreSQL database with orders and shipping addresses.", "manager"),
]
# system, account, person key (None: nobody), privilege, privileged, mfa, service purpose, approved request
ACCOUNTS = [
    ("Google Workspace", "priya.shah@example.com", "priya", "Super admin", True, "yes", "", True),
    ("Google Workspace", "tom.becker@example.com", "tom", "User", False, "yes", "", True),
    ("Google Workspace", "mira.okafor@example.com", "mira", "User", False, "yes", "", True),
    ("Google Workspace", "lee.wong@example.com", "lee", "User", False, "yes", "", True),
    ("Google Workspace", "jana.novak@example.com", "jana", "User", False, "no", "", True),
    ("Google Workspace", "sam.ito@example.com", "sam", "User", False, "yes", "", True),
    ("Google Workspace", "noor.haddad@example.com", "noor", "User", False, "unknown", "", False),
    ("Google Workspace", "omar.said@example.com", "omar", "User", False, "yes", "", True),
    ("Google Workspace", "shared.orders@example.com", None, "Shared mailbox", False, "no", "", False),
    ("AWS production", "priya", "priya", "AdministratorAccess", True, "yes", "", True),
    ("AWS production", "tom", "tom", "PowerUserAccess", True, "yes", "", True),
    ("AWS production", "lee", "lee", "ReadOnlyAccess", False, "yes", "", True),
    ("AWS production", "ravi", "ravi", "ReadOnlyAccess", False, "no", "", False),
    ("AWS production", "root", None, "root", True, "yes", "", False),
    ("AWS production", "ci-deploy", "tom", "DeployRole", True, "no", "deploys the order pipeline from CI", True),
    ("Order DB", "lee", "lee", "read_write", False, "yes", "", True),
    ("Order DB", "sam", "sam", "read_only", False, "yes", "", True),
    ("Order DB", "ravi", "ravi", "read_write", False, "yes", "", True),
    ("Order DB", "omar", "omar", "read_only", False, "yes", "", True),
    ("Order DB", "shared_support", None, "read_only", False, "no", "", False),
    ("Order DB", "etl_loader", "tom", "loader", False, "no", "nightly load of Seller Central orders", True),
    ("Seller Central integration", "priya.shah", "priya", "Admin", True, "yes", "", True),
    ("Seller Central integration", "mira.okafor", "mira", "Orders", False, "yes", "", True),
    ("Seller Central integration", "jana.novak", "jana", "Orders", False, "yes", "", True),
    ("Seller Central integration", "old.contractor", None, "Orders", False, "unknown", "", False),
]


def seed(ctx) -> None:
    now = ctx.now
    lead = ctx.users["lead"]
    people: dict[str, Person] = {}
    for key, pid, first, last, department, kind, manager_key, user_key, years in PEOPLE:
        people[key] = person_create(
            data={
                "person_id": pid,
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "manager": people.get(manager_key) if manager_key else None,
                "user": ctx.users.get(user_key) if user_key else None,
                "department": department,
                "kind": kind,
                "started_at": now - timedelta(days=365 * years + 20),
            },
            by=lead,
            now=now,
        )
    systems = {
        name: system_create(
            data={"name": name, "description": text, "owner": ctx.users[owner], "holds_amazon_information": True, "in_scope": True},
            by=lead,
            now=now - timedelta(days=95),
        )
        for name, text, owner in SYSTEMS
    }
    for system_name, account_name, person_key, privilege, privileged, mfa, purpose, approved in ACCOUNTS:
        system = systems[system_name]
        person = people.get(person_key) if person_key else None
        data = {
            "system": system,
            "name": account_name,
            "person": person,
            "is_service_account": bool(purpose),
            "purpose": purpose,
            "privilege": privilege,
            "privileged": privileged,
            "mfa": mfa,
            "last_login_at": now - timedelta(days=len(account_name) % 9, hours=3),
        }
        if approved and person is not None:
            approver = cast(User, system.owner)  # every seeded system has its owner
            if person.user_id == approver.pk:
                approver = person.manager.user if person.manager and person.manager.user else ctx.users["manager2"]
            request = access_request_create(
                requester=person,
                system=system,
                privilege=privilege,
                privileged=privileged,
                justification="needed for their role (seeded)",
                approver=approver,
                by=lead,
                now=now - timedelta(days=200),
            )
            access_request_decide(access_request=request, approve=True, note="", by=approver, now=now - timedelta(days=199))
            access_request_grant(access_request=request, account_name=account_name, by=lead, now=now - timedelta(days=199))
            account = Account.objects.get(system=system, access_request=request)
            account_update(account=account, data={k: v for k, v in data.items() if k != "name"}, by=lead, now=now)
        else:
            account_create(data=data, by=lead, now=now)

    for key in ("priya", "tom", "mira", "lee", "sam"):
        training_record_create(
            person=people[key],
            course="Security and data-protection awareness 2026",
            completed_on=(now - timedelta(days=40 + len(key) * 20)).date(),
            note="completed in the training platform (seeded)",
            by=lead,
            now=now,
        )

    period, start, end = quarter_of(now.date())
    campaign = campaign_start(
        period=period, period_start=start, period_end=end, effective_at=now - timedelta(days=2), by=lead, now=now - timedelta(days=2)
    )
    mira_user = ctx.users["manager2"]
    rows_bulk_keep(campaign=campaign, reviewer=mira_user, now=now - timedelta(days=1))
    tom_user = ctx.users["manager"]
    for row in campaign.rows.filter(reviewer=tom_user, decision=Decision.PENDING).select_related("person")[:3]:
        if row.person and row.person.person_id == "E1008":
            continue
        row_decide(row=row, decision="keep", comment="still needed for on-call order support", by=tom_user, now=now - timedelta(hours=20))
    shared = campaign.rows.filter(reviewer=lead, flag_shared=True).first()
    if shared is not None:
        row_decide(
            row=shared, decision="revoke", comment="generic account: replace with named accounts", by=lead, now=now - timedelta(hours=10)
        )

    person_terminate(person=people["omar"], terminated_at=now - timedelta(hours=6), by=lead, now=now)

    ctx.made["systems"] = list(systems.values())  # lists, like the other apps' shares
    ctx.made["people"] = list(people.values())
    ctx.made["systems_by_name"] = systems
    ctx.made["people_by_key"] = people
    ctx.made["campaign"] = campaign
    ctx.say(
        f"Access reviews: {len(people)} people, {len(systems)} systems, {len(ACCOUNTS)} accounts; "
        f"review {period} in progress; 1 leaver with a 24-hour deprovisioning clock running."
    )
