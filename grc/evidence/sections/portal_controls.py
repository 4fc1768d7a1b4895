"""The portal's own controls (it follows the policy it audits): accounts, MFA coverage, lockout,
password rules, network allow-list, sessions, encryption key and secrets, read from
``grc.accounts`` and the running settings (what this process enforces, not what is written down)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from grc.accounts.models import Role, User
from grc.audit.models import AuditEvent
from grc.evidence.collect import PackContext
from grc.evidence.sections.registry import Evidence, Mark, register


def _active_users():
    return User.objects.filter(is_active=True)


@register(clause="1.4", key="portal.mfa_passwords", title="The portal's own accounts: MFA and password rules", order=10)
def mfa_and_passwords(ctx: PackContext) -> Evidence:
    active = _active_users()
    total = active.count()
    with_mfa = active.filter(pk__in=TOTPDevice.objects.filter(confirmed=True).values("user_id")).count()
    expired = active.filter(
        password_changed_at__isnull=False, password_changed_at__lte=ctx.now - _days(settings.PASSWORD_MAX_AGE_DAYS)
    ).count()
    facts = [
        (
            "Active portal accounts with a confirmed authenticator (TOTP)",
            Mark(f"{with_mfa} of {total}", "met" if with_mfa == total else "at_risk"),
        ),
        ("MFA enforced on every page", "yes: accounts without a verified second factor reach only enrolment and verification"),
        ("Step-up MFA for signatures", f"a code from the last {settings.STEP_UP_MAX_AGE_SECONDS // 60} minutes"),
        ("Minimum password length", f"{settings.PASSWORD_MIN_LENGTH} characters"),
        ("Character classes", "upper-case, lower-case, digit and special character each required"),
        ("Part of the user's name", "refused"),
        ("Minimum / maximum password age", f"{settings.PASSWORD_MIN_AGE_HOURS // 24} day / {settings.PASSWORD_MAX_AGE_DAYS} days"),
        ("Earlier passwords that cannot be reused", settings.PASSWORD_HISTORY_COUNT),
        ("Accounts past the maximum password age now", Mark(str(expired), "at_risk" if expired else "met")),
        ("Password hashing", settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]),
    ]
    return Evidence(facts=facts)


def _days(days: int):
    return timedelta(days=days)


@register(clause="1.2", key="portal.accounts", title="The portal's own accounts: named users and lockout", order=40)
def accounts(ctx: PackContext) -> Evidence:

    deactivated = User.objects.filter(ctx.between("deactivated_at")).count()
    lockouts = AuditEvent.objects.filter(ctx.between("occurred_at"), action="accounts.locked_out").count()
    facts = [
        ("Active portal accounts (one named person each)", _active_users().count()),
        ("Generic usernames refused", ", ".join(settings.FORBIDDEN_USERNAMES)),
        ("Account lockout", f"after {settings.AXES_FAILURE_LIMIT} failed sign-ins, for {round(settings.AXES_COOLOFF_TIME * 60)} minutes"),
        ("Accounts deactivated in the period (sessions ended at once)", deactivated),
        ("Lockouts in the period", lockouts),
    ]
    return Evidence(facts=facts)


@register(clause="1.3", key="portal.roles", title="The portal's own roles (least privilege)", order=10)
def roles(ctx: PackContext) -> Evidence:
    counts = _active_users().aggregate(**{role.value: Count("pk", filter=Q(role=role)) for role in Role})
    rows = [[role.label, counts[role.value]] for role in Role]
    table = ctx.table(title="Active portal accounts per role", columns=("Role", "Accounts"), rows=rows)
    notes = [
        "Every page and API endpoint checks the role (403, audited, otherwise); auditors read only, within a time-boxed grant; "
        "managers see their own team's reviews."
    ]
    return Evidence(tables=[table], notes=notes)


@register(clause="1.1", key="portal.network", title="The portal's own network protection", order=30)
def network(ctx: PackContext) -> Evidence:
    cidrs = list(getattr(settings, "ALLOWED_CIDRS", []))
    facts = [
        (
            "IP allow-list (ALLOWED_CIDRS)",
            ", ".join(cidrs) if cidrs else Mark("not set: any address may reach the sign-in page", "at_risk"),
        ),
        ("Sessions end after idle", f"{settings.SESSION_COOKIE_AGE // 60} minutes"),
    ]
    return Evidence(facts=facts)


@register(clause="2.4", key="portal.encryption", title="The portal's own encryption at rest", order=20)
def portal_encryption(ctx: PackContext) -> Evidence:
    facts = [
        ("Sensitive fields (names, notes, contacts)", "encrypted with Fernet (AES-128-CBC and HMAC-SHA256)"),
        ("Key", "FIELD_ENCRYPTION_KEY from the environment, never in the repository; rotation supported"),
    ]
    return Evidence(facts=facts)


@register(clause="2.5", key="portal.secrets", title="The portal's own secrets and environments", order=30)
def secrets(ctx: PackContext) -> Evidence:
    facts = [
        ("This instance runs as", settings.DJANGO_ENV),
        ("Production refuses to start without its secrets", "SECRET_KEY and FIELD_ENCRYPTION_KEY have no default in production"),
        ("DEBUG", Mark("off", "met") if not settings.DEBUG else Mark("on", "at_risk" if not settings.PRODUCTION else "not_met")),
    ]
    return Evidence(facts=facts)
