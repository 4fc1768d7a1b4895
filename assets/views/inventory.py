"""The inventory: the asset list (sorted, filtered, paginated, flagged first), an asset's page,
adding and editing assets of each kind, the record of processing, and the CSV export."""

from __future__ import annotations

from datetime import date
from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Field, Q
from django.shortcuts import redirect, render
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from assets.access import get_asset_for, is_lead
from assets.filters import AssetFilter
from assets.flags import asset_flags, limits_from_settings
from assets.forms.inventory import AssetForm, DataStoreForm, KindChoiceForm, RecordOfProcessingForm, RetentionCheckForm
from assets.imports import export_header, export_rows
from assets.kinds import KIND_FIELDS, KIND_LABELS, ROP_FORM_FIELDS, STORE_FIELDS
from assets.models import AssetKind, RetentionCheck
from assets.selectors import assets_for_list, record_of_processing
from assets.services import inventory
from assets.services.programme import ATTESTATION, RETENTION_CHECK
from assets.views.common import add_errors
from grc.accounts.models import Role
from grc.accounts.permissions import LEAD_OR_MANAGER, READERS, SECURITY_LEAD, deny, role_required
from grc.audit.selectors import latest_change_id
from grc.audit.services import record_download, record_event, record_view
from grc.compliance.services import open_obligation
from grc.csvio import csv_response
from grc.tables import table_page
from grc.templatetags.ui import status_badge
from grc.widgets import cached_plain_choices, full_name, pk_url, use_fast_widgets
from grc.widgets import conditional_escape as escape

SORTS: dict[str, str | tuple[str, ...]] = {
    "tag": "tag",
    "name": "name",
    "kind": ("kind", "name"),
    "owner": ("owner__first_name", "owner__last_name"),
    "environment": ("environment", "name"),
    "flags": ("flag_count", "-name"),
    "verified": "baseline_verified_at",
    "updated": "updated_at",
}


LIST_DEFERRED = (  # encrypted texts the list neither shows nor needs for its flags: not decrypted per row
    "notes",
    "data_store__key_holders",
    *(f"data_store__rop_{part}" for part in ("collected", "processed", "stored", "used", "shared", "disposed")),
)


UNFILTERED_KEYS = frozenset({"sort", "page", "size"})  # query parameters that leave the list's rows as they are


def _listed(request):
    queryset = assets_for_list().defer(*LIST_DEFERRED)
    if request.GET.get("state") not in ("retired", "all"):
        queryset = queryset.filter(retired_at__isnull=True)
    return queryset


_RETIRED = str(status_badge("expired", "retired"))
_NO_FLAGS = '<span class="text-success small" data-testid="no-flags">no DPP flags</span>'


def _flags_html(flags) -> str:
    """``assets/_flags.html``."""
    if not flags:
        return _NO_FLAGS
    items = "".join(f'<li class="text-danger"><span aria-hidden="true">⚑</span> {escape(flag)}</li>' for flag in flags)
    return f'<ul class="list-unstyled mb-0 small asset-flags" data-testid="flags">{items}</ul>'


def _row_html(asset) -> str:
    kind = escape(asset.get_kind_display())
    if asset.hardware_type:
        personal = " · personal" if asset.ownership == "personal" else ""
        kind += f'<br><span class="text-body-secondary">{escape(asset.get_hardware_type_display())}{personal}</span>'
    holds = ('<span class="badge text-bg-danger">PII</span>' if asset.holds_pii else "") + " "
    holds += '<span class="badge text-bg-warning">Amazon</span>' if asset.holds_amazon_information else ""
    if not asset.holds_pii and not asset.holds_amazon_information:
        holds += '<span class="text-body-secondary">—</span>'
    owner = asset.owner.get_full_name() or asset.owner.username
    flagged = ' class="flagged-row"' if asset.flag_list else ""
    verified = date_filter(asset.baseline_verified_at, "d M Y") or "—"
    return (
        f'\n    <tr data-tag="{escape(asset.tag)}"{flagged}>\n'
        f'      <td class="font-monospace small text-nowrap">{escape(asset.tag)}</td>\n'
        f'      <td><a href="{escape(asset.detail_url)}">{escape(asset.name)}</a>{" " + _RETIRED if asset.retired_at else ""}</td>\n'
        f'      <td class="small">{kind}</td>\n'
        f'      <td class="small">{escape(owner)}</td>\n'
        f'      <td class="small">{escape(asset.get_environment_display() or "—")}</td>\n'
        f'      <td class="small text-nowrap">{holds}</td>\n'
        f"      <td>{_flags_html(asset.flag_list)}\n</td>\n"
        f'      <td class="small text-nowrap">{escape(verified)}</td>\n'
        "    </tr>\n  "
    )


def asset_rows_html(assets) -> str:
    """The list's table rows (each asset with ``flag_list`` and ``detail_url``), written in Python:
    the HTML of the ``{% for asset in table.rows %}`` loop the template had (tests/assets keep that
    loop and compare), without some 600 template nodes per page."""
    # every value is escaped above
    return mark_safe("".join(_row_html(asset) for asset in assets))  # noqa: S308  # nosec B308 B703


@role_required(*READERS)
def asset_list(request):
    """The inventory home: flagged assets first by default; flags computed from the joined rows."""
    now = timezone.now()
    inventory.assets_refresh_stale_flags(now=now)
    counts = (
        assets_for_list()
        .filter(retired_at__isnull=True)
        .aggregate(total=Count("pk"), flagged=Count("pk", filter=Q(flag_count__gt=0)), pii=Count("pk", filter=Q(holds_pii=True)))
    )
    # unfiltered, the list is the assets in use that ``counts`` just counted: the paginator does not count them again
    known = counts["total"] if set(request.GET) <= UNFILTERED_KEYS else None
    table = table_page(request, _listed(request), sorts=SORTS, default_sort="-flags", filterset_class=AssetFilter, count=known)
    limits = limits_from_settings()
    url_of = pk_url("assets:detail")  # one reverse() for the page, not one per row
    for asset in table.rows:
        asset.flag_list = asset_flags(asset, now=now, store=asset.store, limits=limits)
        asset.detail_url = url_of(asset.pk)
    _owner_filter_choices(table.filterset.form)
    context = {
        "table": table,
        "rows_html": asset_rows_html(table.rows),
        "counts": counts,
        "kinds": AssetKind.choices,
        "can_edit": is_lead(request.user),
        "attestation": open_obligation(ATTESTATION, None),
        "now": now,
    }
    return render(request, "assets/asset_list.html", context)


def _owner_filter_choices(form) -> None:
    """The owner filter lists every portal user (2,000 at scale): options from one values query,
    widgets rendered in Python (grc.widgets); the same labels as ``UserChoiceField``."""
    use_fast_widgets(form)
    field = form.fields["owner"]
    roles = dict(Role.choices)

    def rows():
        values = field.queryset.values_list("pk", "first_name", "last_name", "username", "role")
        return [(pk, f"{full_name(first, last, username)} ({roles.get(role, role)})") for pk, first, last, username, role in values]

    # kept until the next audited change (grc.widgets.cached_plain_choices)
    cached_plain_choices(field, rows, version=latest_change_id, where="asset_owner_choices")


@role_required(*READERS)
def asset_detail(request, pk: int):
    asset, can_edit = get_asset_for(request.user, pk)
    record_view(request, asset)
    now = timezone.now()
    store = asset.store
    context = {
        "asset": asset,
        "store": store,
        "can_edit": can_edit,
        "flags": asset.flags_at(now),
        "rows": _detail_rows(asset),
        "store_rows": _store_rows(store) if store else [],
        "rop_rows": [(cast(Field, store._meta.get_field(name)).verbose_name, getattr(store, name)) for name in ROP_FORM_FIELDS]
        if store
        else [],
        "findings": asset.findings.select_related("owner").order_by("status", "due_at")[:20],
        "scans": asset.vulnerability_scans.order_by("-performed_at")[:5],
        "pentests": asset.penetration_tests.order_by("-performed_at")[:5],
        "deletions": store.deletion_actions.select_related("request", "performed_by").order_by("-request__received_at")[:10]
        if store
        else [],
        "retention_obligation": open_obligation(RETENTION_CHECK, store) if store else None,
        "retention_checks": RetentionCheck.objects.filter(data_store=store).select_related("checked_by")[:6] if store else [],
        "retention_form": RetentionCheckForm(),
        "can_confirm_retention": store is not None and (can_edit or asset.owner_id == request.user.pk),
        "now": now,
    }
    return render(request, "assets/asset_detail.html", context)


def _display(asset, name: str):
    field = asset._meta.get_field(name)
    value = getattr(asset, name)
    if name == "encryption_algorithm" and not value:
        return "not encrypted"
    if field.choices:
        return getattr(asset, f"get_{name}_display")() or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in (None, ""):
        return "—"
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    return value


def _detail_rows(asset) -> list[tuple[str, object]]:
    labels = KIND_LABELS.get(asset.kind, {})
    names = ["environment", "location", *KIND_FIELDS.get(asset.kind, ())]
    rows = []
    for name in names:
        label = labels.get(name, (asset._meta.get_field(name).verbose_name,))[0]
        rows.append((label[:1].upper() + label[1:], _display(asset, name)))
    return rows


def _store_rows(store) -> list[tuple[str, object]]:
    rows = []
    for name in STORE_FIELDS:
        label = str(store._meta.get_field(name).verbose_name)
        rows.append((label[:1].upper() + label[1:], _display(store, name)))
    return rows


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def asset_create(request):
    """Pick a kind first, then fill in the fields of that kind."""
    kind = request.POST.get("kind") or request.GET.get("kind")
    if kind not in AssetKind.values:
        return render(request, "assets/asset_kind.html", {"form": KindChoiceForm(), "kinds": AssetKind.choices})
    form = AssetForm(request.POST or None, kind=kind, initial={"owner": request.user.pk})
    store_form = DataStoreForm(request.POST or None) if kind == AssetKind.DATA_STORE else None
    if request.method == "POST" and form.is_valid() and (store_form is None or store_form.is_valid()):
        data = {name: form.cleaned_data[name] for name in form.fields}
        store_data = {name: store_form.cleaned_data[name] for name in store_form.fields} if store_form else None
        try:
            asset = inventory.asset_create(
                data={**data, "kind": kind}, store_data=store_data, by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, f"{asset.tag} {asset.name} added to the inventory.")
            return redirect("assets:detail", pk=asset.pk)
    context = {"form": form, "store_form": store_form, "kind": kind, "kind_label": AssetKind(kind).label, "asset": None}
    return render(request, "assets/asset_form.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def asset_edit(request, pk: int):
    asset, _can_edit = get_asset_for(request.user, pk)
    store = asset.store
    form = AssetForm(request.POST or None, instance=asset, kind=asset.kind)
    store_form = DataStoreForm(request.POST or None, instance=store) if asset.kind == AssetKind.DATA_STORE else None
    if request.method == "POST" and form.is_valid() and (store_form is None or store_form.is_valid()):
        data = {name: form.cleaned_data[name] for name in form.fields}
        store_data = {name: store_form.cleaned_data[name] for name in store_form.fields} if store_form else None
        try:
            changed = inventory.asset_update(
                asset=asset, data=data, store_data=store_data, by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Changes saved." if changed else "Nothing changed.")
            return redirect("assets:detail", pk=asset.pk)
    context = {"form": form, "store_form": store_form, "kind": asset.kind, "kind_label": asset.get_kind_display(), "asset": asset}
    return render(request, "assets/asset_form.html", context)


@role_required(*SECURITY_LEAD)
@require_POST
def asset_retire(request, pk: int):
    asset, _can_edit = get_asset_for(request.user, pk)
    try:
        inventory.asset_retire(asset=asset, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{asset.tag} retired: it stays in the history but leaves the inventory.")
    return redirect("assets:detail", pk=asset.pk)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def record_of_processing_edit(request, pk: int):
    asset, _can_edit = get_asset_for(request.user, pk)
    store = asset.store
    if store is None:
        raise deny(request, "not a data store")
    form = RecordOfProcessingForm(request.POST or None, instance=store)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ROP_FORM_FIELDS}
        inventory.record_of_processing_update(store=store, data=data, by=request.user, now=timezone.now(), request=request)
        messages.success(request, "Record of processing saved.")
        return redirect("assets:detail", pk=asset.pk)
    return render(request, "assets/rop_form.html", {"form": form, "asset": asset})


@role_required(*LEAD_OR_MANAGER)
@require_POST
def retention_check(request, pk: int):
    """The lead or the store's owner confirms this month's purge of PII past retention (DPP 2.1)."""
    asset, can_edit = get_asset_for(request.user, pk)
    if not (can_edit or asset.owner_id == request.user.pk) or asset.store is None:
        raise deny(request, "not the owner")
    form = RetentionCheckForm(request.POST)
    form.is_valid()
    try:
        inventory.retention_check_record(
            store=asset.store, note=form.cleaned_data.get("note", ""), by=request.user, now=timezone.now(), request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Retention check recorded; the next one is due in a month.")
    return redirect("assets:detail", pk=asset.pk)


@role_required(*READERS)
def record_of_processing_list(request):
    """DPP 2.2: the record of processing activities of every data store, on one page."""
    records = record_of_processing()
    record_event("assets.record_of_processing.viewed", request=request, object_type="assets.datastore", details={"count": len(records)})
    return render(request, "assets/record_of_processing.html", {"records": records, "can_edit": is_lead(request.user)})


@role_required(*READERS)
def asset_export(request):
    """The filtered inventory as CSV (formula-neutralised by ``csv_response``); audited."""
    now = timezone.now()
    table = AssetFilter(request.GET or None, queryset=_listed(request), request=request)
    queryset = table.qs if table.is_bound and table.is_valid() else _listed(request)
    assets = list(queryset.order_by("tag"))
    record_download(request, what="csv", count=len(assets), object_type="assets.asset", object_id="export")
    return csv_response(f"assets-{now:%Y%m%d}.csv", export_header(), export_rows(assets, now))
