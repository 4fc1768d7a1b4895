"""Object-level access to data-subject requests (STYLE habit 6).

The security lead, managers and auditors read the register (READERS); staff get nothing. The
requester's identifying details are shown only to the security lead and the request's handler,
who also are the only ones to change it; everyone else sees the PII-free record.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import get_object_or_404

from assets.models import DataSubjectRequest
from grc.accounts.models import Role

READ_ROLES = (Role.SECURITY_LEAD, Role.MANAGER, Role.AUDITOR)


@dataclass(frozen=True)
class DsarAccess:
    can_edit: bool  # update, extend, answer
    sees_details: bool  # the requester's identifying details


def access_for(user, dsar: DataSubjectRequest) -> DsarAccess:
    handles = user.role == Role.SECURITY_LEAD or (user.role == Role.MANAGER and dsar.handler_id == user.pk)
    return DsarAccess(can_edit=handles, sees_details=handles)


def get_dsar_for(user, pk: int) -> tuple[DataSubjectRequest, DsarAccess]:
    if user.role not in READ_ROLES:
        raise Http404("Not found")
    dsar = get_object_or_404(DataSubjectRequest.objects.select_related("handler", "created_by", "extended_by", "responded_by"), pk=pk)
    return dsar, access_for(user, dsar)
