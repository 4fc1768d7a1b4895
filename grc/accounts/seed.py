"""Demo portal users. No passwords: each gets a one-time link to choose one and enrol MFA."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from grc.accounts.models import Role, User
from grc.accounts.services import activation_link_create

DEMO_USERS = [
    # key, username, first, last, role, manager key
    ("lead", "pshah", "Priya", "Shah", Role.SECURITY_LEAD, None),
    ("manager", "tbecker", "Tom", "Becker", Role.MANAGER, "lead"),
    ("manager2", "mokafor", "Mira", "Okafor", Role.MANAGER, "lead"),
    ("staff", "lwong", "Lee", "Wong", Role.STAFF, "manager"),
    ("staff2", "jnovak", "Jana", "Novak", Role.STAFF, "manager2"),
    ("auditor", "asilva", "Ana", "Silva", Role.AUDITOR, None),
]


class SeedContext(Protocol):
    """What ``grc.seeding.SeedContext`` offers a seeder (this app sits below the seeding tooling)."""

    now: datetime
    users: dict[str, Any]
    lines: list[str]

    def say(self, line: str) -> None: ...


def seed(ctx: SeedContext) -> None:
    existing_lead = User.objects.filter(role=Role.SECURITY_LEAD, is_active=True).order_by("pk").first()
    links = []
    for key, username, first, last, role, manager_key in DEMO_USERS:
        if key == "lead" and existing_lead is not None:
            ctx.users["lead"] = existing_lead
            continue
        user = User.objects.create(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@example.com",
            role=role,
            manager=ctx.users.get(manager_key) if manager_key else None,
            is_staff=role == Role.SECURITY_LEAD,
            access_expires_at=ctx.now + timedelta(days=90) if role == Role.AUDITOR else None,
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        ctx.users[key] = user
        links.append(f"  {user.get_role_display():<14} {first} {last} ({username}): {activation_link_create(user=user, now=ctx.now)}")
    ctx.say("Demo users (each link works once, for 72 h; choose a password, then enrol an authenticator app):")
    ctx.lines.extend(links)
