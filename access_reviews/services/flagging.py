"""The stored flags of accounts, recomputed from the flag rules (``access_reviews.flags``).

Below the other services: the registry's writes, the deprovisioning tasks and the access requests
all refresh an account's flags after they change what the rules read.
"""

from __future__ import annotations

from access_reviews.flags import AccountFacts, account_flags, flag_values
from access_reviews.models import Account, PersonStatus, RequestStatus


def facts_for(account: Account) -> AccountFacts:
    """The facts the flag rules need, from an account with its person and request loaded."""
    person = account.person if account.person_id else None
    request = account.access_request if account.access_request_id else None
    return AccountFacts(
        name=account.name,
        has_person=person is not None,
        person_terminated=bool(person and person.status == PersonStatus.TERMINATED),
        is_service_account=account.is_service_account,
        is_shared=account.is_shared,
        privileged=account.privileged,
        mfa=account.mfa,
        has_approved_request=bool(request and request.status == RequestStatus.APPROVED),
        revoked_present=account.flag_revoked_present,
    )


def set_flags(account: Account) -> list[str]:
    """Recompute and set the stored flags on an (unsaved) account; returns the flag fields that changed."""
    changed = []
    for field, value in flag_values(account_flags(facts_for(account))).items():
        if getattr(account, field) != value:
            setattr(account, field, value)
            changed.append(field)
    return changed


def accounts_refresh_flags(queryset) -> int:
    """Recompute the stored flags of these accounts (after a termination, a request decision …)."""
    changed_accounts = []
    for account in queryset.select_related("person", "access_request"):
        if set_flags(account):
            changed_accounts.append(account)
    fields = list(flag_values(frozenset()).keys())
    Account.objects.bulk_update(changed_accounts, fields, batch_size=500)
    return len(changed_accounts)
