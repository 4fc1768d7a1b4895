"""Object-level access, one helper per object type (STYLE habit 6).

Role checks stay on the views (``role_required``): the security lead, managers and auditors read
the inventory, vulnerability records and deletion requests; staff have no access. What a user may
*do* to an object is returned alongside it: the lead edits everything; a manager attests the
assets they own; the person responsible for a deletion request signs its certificate.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from assets.models import Asset, AssetImport, DeletionRequest, Finding, PenetrationTest, ReleaseScan, VulnerabilityScan
from grc.accounts.models import Role

READ_ROLES = (Role.SECURITY_LEAD, Role.MANAGER, Role.AUDITOR)


def is_lead(user) -> bool:
    return user.role == Role.SECURITY_LEAD


def _reads(user) -> None:
    if user.role not in READ_ROLES:
        raise Http404("Not found")


def get_asset_for(user, pk: int) -> tuple[Asset, bool]:
    """(asset, can_edit)."""
    _reads(user)
    asset = get_object_or_404(Asset.objects.select_related("owner", "data_store", "data_store__rop_updated_by"), pk=pk)
    return asset, is_lead(user)


def get_scan_for(user, pk: int) -> tuple[VulnerabilityScan, bool]:
    _reads(user)
    return get_object_or_404(VulnerabilityScan.objects.select_related("recorded_by"), pk=pk), is_lead(user)


def get_pentest_for(user, pk: int) -> tuple[PenetrationTest, bool]:
    _reads(user)
    return get_object_or_404(PenetrationTest.objects.select_related("recorded_by"), pk=pk), is_lead(user)


def get_release_for(user, pk: int) -> tuple[ReleaseScan, bool]:
    _reads(user)
    return get_object_or_404(ReleaseScan.objects.select_related("owner", "asset", "recorded_by"), pk=pk), is_lead(user)


def get_finding_for(user, pk: int) -> tuple[Finding, bool]:
    _reads(user)
    finding = get_object_or_404(
        Finding.objects.select_related("owner", "asset", "scan", "pentest", "release_scan", "resolved_by", "created_by"), pk=pk
    )
    return finding, is_lead(user) and finding.is_open


def get_deletion_for(user, pk: int) -> tuple[DeletionRequest, bool, bool]:
    """(request, can_edit, may_sign): the lead records; only the responsible person signs."""
    _reads(user)
    deletion = get_object_or_404(DeletionRequest.objects.select_related("responsible", "created_by"), pk=pk)
    return deletion, is_lead(user), deletion.responsible_id == user.pk


def get_import_for(user, pk: int) -> AssetImport:
    if not is_lead(user):
        raise Http404("No such import")
    return get_object_or_404(AssetImport.objects.select_related("created_by"), pk=pk)
