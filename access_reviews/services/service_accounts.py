"""The reviewer's answer to an import's "service account?" suggestion (issue 24).

An import of an AWS credential report suggests that a user without a console password but with
an active access key is a machine's. The reviewer confirms (it becomes a service account) or
rejects; either way ``service_account_reviewed_at`` is set and later imports leave the answer alone.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from access_reviews.models import Account
from access_reviews.services.flagging import set_flags
from grc.audit.services import record_change


@transaction.atomic
def account_service_decide(*, account: Account, confirm: bool, by, now: datetime, request=None) -> Account:
    """Confirm (``confirm=True``) or reject the suggestion; refused when there is none to answer."""
    # lock the account row only: PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins
    account = Account.objects.select_for_update(of=("self",)).select_related("person", "access_request").get(pk=account.pk)
    if not account.service_account_suggested:
        raise ValidationError("No service-account suggestion is waiting on this account.")
    account.service_account_suggested = False
    account.service_account_reviewed_at = now
    changed = ["service_account_suggested", "service_account_reviewed_at"]
    if confirm and not account.is_service_account:
        account.is_service_account = True
        changed.append("is_service_account")
    changed += set_flags(account)
    account.save()
    record_change("updated", account, request=request, actor=by, changed_fields=changed, message=f"service_account_confirmed={confirm}")
    return account
