"""The audit trail's emails, written here because their recipients are accounts and their times
are shown the obligation engine's way: one function per email, a subject/text/HTML trio under
``templates/audit/email/``. Alarm emails name the rule and link to the alarm; the evidence (who,
from where) stays in the portal behind the security lead's sign-in.

``send_alarm_raised`` answers ``grc.audit.hooks.alarm_mail`` (connected in ``grc.oversight.signals``).
"""

from __future__ import annotations

from grc.accounts.models import Role, User
from grc.compliance.emails import local_time, zone_of
from grc.mail import absolute_url, send_templated


def security_leads():
    return User.objects.filter(role=Role.SECURITY_LEAD, is_active=True).exclude(email="").order_by("pk")


def send_alarm_raised(alarm) -> int:
    """One email per active security lead (each sees times in their own zone); returns how many."""
    sent = 0
    for lead in security_leads():
        context = {
            "recipient_name": lead.first_name or lead.get_username(),
            "alarm": alarm,
            "rule": alarm.get_rule_display(),
            "raised": local_time(alarm.raised_at, zone_of(lead)),
            "link": absolute_url(alarm.get_absolute_url()),
        }
        sent += send_templated(to=[lead.email], template="audit/email/alarm", context=context)
    return sent
