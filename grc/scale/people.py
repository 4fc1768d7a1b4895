"""Portal users and the registry's people: two security leads, managers with teams, staff, auditors.

Every person of the registry has a portal account (staff report incidents and attest their
training, DPP 1.1), with a confirmed TOTP device (DPP 1.4) and a password set some time in the
last year, so each has an open 365-day password obligation. The password hash is one hash of a
random secret nobody keeps (hashing 2,000 passwords with Argon2 would take minutes); the bench
gives its two users their own passwords and device keys when it starts (``bench_login_users``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from access_reviews.models import Person, PersonKind, PersonStatus
from grc.accounts.models import Role, User
from grc.compliance.models import Obligation
from grc.crypto import blind_index
from grc.scale.bulk import ScaleContext, insert, obligation
from grc.scale.names import DEPARTMENTS, person_name

PASSWORD_EXPIRY = "accounts.password_expiry"
TERMINATED_SHARE = 0.07
NEW_JOINER_SHARE = 0.02
TIMEZONES = ("", "", "", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Singapore")


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


def seed_people(ctx: ScaleContext) -> None:
    rng, now, n = ctx.rng, ctx.now, ctx.sizes.people
    manager_count = max(3, n // 15)
    password_hash = make_password(secrets.token_urlsafe(24))  # a secret nobody keeps: nobody signs in with it
    usernames: set[str] = set()
    locals_: set[str] = set()
    plans: list[dict[str, Any]] = []
    for i in range(n):
        first, last = person_name(i)
        if i < 2:
            role = Role.SECURITY_LEAD
        elif i < 2 + manager_count:
            role = Role.MANAGER
        else:
            role = Role.STAFF
        local = _unique(f"{first}.{last}".lower(), locals_)
        plans.append(
            {
                "i": i,
                "first": first,
                "last": last,
                "role": role,
                "username": _unique(f"{first[0]}{last}".lower(), usernames),
                "email": f"{local}@example.com",
                "started_at": now - timedelta(days=30 + rng.uniform(0, 365 * 6)),
            }
        )
    # new joiners (still inside their first 30 days: training_initial open)
    for plan in rng.sample(plans[2 + manager_count :], max(1, round(n * NEW_JOINER_SHARE))):
        plan["started_at"] = now - timedelta(days=rng.uniform(1, 28))
    # teams: every staff member reports to a manager; the first manager (the bench's) has a big team
    managers = plans[2 : 2 + manager_count]
    weights = [4.0] + [rng.uniform(0.5, 1.6) for _ in managers[1:]]
    for plan in plans:
        if plan["role"] == Role.SECURITY_LEAD:
            plan["manager"] = 0 if plan["i"] == 1 else None
            plan["department"] = "Security"
        elif plan["role"] == Role.MANAGER:
            plan["manager"] = rng.choice((0, 1))
            plan["department"] = DEPARTMENTS[plan["i"] % (len(DEPARTMENTS) - 1)]
        else:
            boss = rng.choices(managers, weights=weights)[0]
            plan["manager"] = boss["i"]
            plan["department"] = boss["department"]
    # leavers: staff only, terminated some time after they started; a few in the last day
    staff = [p for p in plans if p["role"] == Role.STAFF and p["started_at"] < now - timedelta(days=60)]
    leavers = rng.sample(staff, min(len(staff), round(n * TERMINATED_SHARE)))
    for k, plan in enumerate(leavers):
        if k < 3:  # their 24-hour deprovisioning clocks are running (one of them already overdue)
            plan["terminated_at"] = now - timedelta(hours=(30, 14, 5)[k])
        else:
            earliest = max(plan["started_at"] + timedelta(days=45), ctx.start)
            plan["terminated_at"] = ctx.moment_between(earliest, now - timedelta(days=3))

    users = [
        User(
            username=p["username"],
            first_name=p["first"],
            last_name=p["last"],
            email=p["email"],
            role=p["role"],
            is_staff=p["role"] == Role.SECURITY_LEAD,
            password=password_hash,
            password_changed_at=now - timedelta(days=rng.uniform(2, 350)),
            date_joined=p["started_at"],
            last_login=now - timedelta(hours=rng.uniform(1, 24 * 20)),
            timezone=rng.choice(TIMEZONES),
            is_active="terminated_at" not in p,
            deactivated_at=p.get("terminated_at"),
        )
        for p in plans
    ]
    auditors = [
        User(
            username=_unique(f"audit{k}.{last.lower()}", usernames),
            first_name=first,
            last_name=last,
            email=f"audit{k}.{last.lower()}@auditors.example.net",
            role=Role.AUDITOR,
            password=password_hash,
            password_changed_at=now - timedelta(days=20),
            access_starts_at=now - timedelta(days=20),
            access_expires_at=now + timedelta(days=70),
        )
        for k, (first, last) in enumerate((("Ines", "Varga"), ("Kenji", "Lund")))
    ]
    insert(User, users + auditors)
    for plan, user in zip(plans, users, strict=True):
        if plan["manager"] is not None:
            user.manager_id = users[plan["manager"]].pk
    User.objects.bulk_update([u for u in users if u.manager_id], ["manager"], batch_size=1000)
    insert(
        TOTPDevice,
        [TOTPDevice(user=u, name="Authenticator app", confirmed=True, key=random_hex(20)) for u in users + auditors if u.is_active],
    )
    url = reverse("accounts:password_change")
    insert(
        Obligation,
        [
            # every user above is made with a password_changed_at
            obligation(PASSWORD_EXPIRY, "accounts.user", u.pk, anchor_at=cast(datetime, u.password_changed_at), owner_id=u.pk, url=url)
            for u in users + auditors
            if u.is_active
        ],
    )

    people = []
    for plan, user in zip(plans, users, strict=True):
        kind = PersonKind.CONTRACTOR if plan["i"] % 9 == 4 else PersonKind.EMPLOYEE
        terminated_at = plan.get("terminated_at")
        people.append(
            Person(
                person_id=f"{'C' if kind == PersonKind.CONTRACTOR else 'E'}{100000 + plan['i']}",
                first_name=plan["first"],
                last_name=plan["last"],
                email=plan["email"],
                email_index=blind_index(plan["email"]),
                user_id=user.pk,
                department=plan["department"],
                kind=kind,
                status=PersonStatus.TERMINATED if terminated_at else PersonStatus.ACTIVE,
                started_at=plan["started_at"],
                terminated_at=terminated_at,
                created_at=min(plan["started_at"], now),
            )
        )
    insert(Person, people)
    for plan, person in zip(plans, people, strict=True):
        if plan["manager"] is not None:
            person.manager_id = people[plan["manager"]].pk
    Person.objects.bulk_update([p for p in people if p.manager_id], ["manager"], batch_size=1000)
    ctx.made.update(
        users=users,
        auditors=auditors,
        leads=users[:2],
        managers=users[2 : 2 + manager_count],
        people=people,
        user_by_id={u.pk: u for u in users + auditors},
        person_by_id={p.pk: p for p in people},
        bench_lead=users[0],
        bench_manager=users[2],
    )
    ctx.count("users", len(users) + len(auditors))
    ctx.count("people", len(people))
