"""Receivers that carry the accounts' and the audit trail's events to the obligation engine and
to people: the layers below (``grc.accounts``, ``grc.audit``) send, this app answers.

Connected by importing this module in ``OversightConfig.ready()``.
"""

from __future__ import annotations

from django.dispatch import receiver

from grc.accounts.signals import account_deactivated, account_reactivated, password_set
from grc.audit.hooks import alarm_mail, housekeeping_done
from grc.oversight.account_obligations import password_expiry_restart, password_expiry_resume, password_expiry_waive
from grc.oversight.emails import send_alarm_raised
from grc.oversight.log_reviews import log_review_obligation_ensure


@receiver(password_set, dispatch_uid="grc.oversight.password_set")
def restart_password_clock(sender, *, user, changed_at, by=None, **kwargs):
    """A new password: close the old password's 365-day obligation and open the new one's (DPP 1.4)."""
    password_expiry_restart(user=user, changed_at=changed_at, by=by)


@receiver(account_deactivated, dispatch_uid="grc.oversight.account_deactivated")
def waive_password_clock(sender, *, user, when, by=None, **kwargs):
    password_expiry_waive(user=user, when=when, by=by)


@receiver(account_reactivated, dispatch_uid="grc.oversight.account_reactivated")
def resume_password_clock(sender, *, user, **kwargs):
    password_expiry_resume(user=user)


@receiver(alarm_mail, dispatch_uid="grc.oversight.alarm_mail")
def email_security_leads(sender, *, alarm, **kwargs) -> int:
    """Every active security lead hears of a new alarm; returns how many emails were sent."""
    return send_alarm_raised(alarm)


@receiver(housekeeping_done, dispatch_uid="grc.oversight.housekeeping_done")
def ensure_log_review_obligation(sender, *, now, **kwargs):
    """After the daily purge-and-verify: the log-review obligation is open (DPP 2.6)."""
    log_review_obligation_ensure(now=now)
