"""People, systems and accounts: lists (sorted, filtered, paginated), details and edit forms."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from access_reviews.access import accounts_visible_to, get_account_for, get_person_for, is_lead
from access_reviews.filters import AccountFilter, PersonFilter
from access_reviews.forms import AccountForm, PersonForm, SystemForm, TerminateForm
from access_reviews.models import Account, Person, System
from access_reviews.selectors import people_visible_to
from access_reviews.services import registry, service_accounts
from access_reviews.templatetags.access_reviews_ui import flag_badges, mfa_badge
from access_reviews.views.common import add_errors
from grc import degraded
from grc.accounts.permissions import LEAD_OR_AUDITOR, READERS, SECURITY_LEAD, role_required
from grc.audit.selectors import latest_change_id
from grc.audit.services import record_download, record_view
from grc.compliance.services import obligations_for
from grc.csvio import csv_response
from grc.tables import table_page
from grc.templatetags.ui import local, status_badge
from grc.widgets import conditional_escape as escape
from grc.widgets import pk_url, use_fast_widgets


def _back(obj, name: str) -> str:
    return reverse(f"access_reviews:{name}_detail", args=[obj.pk]) if obj else reverse(f"access_reviews:{name}_list")


PRESENT = Q(accounts__removed_at__isnull=True, accounts__enabled=True)


@role_required(*READERS)
def person_list(request):
    """People sort by person id, department, type or status: names are encrypted and cannot sort in SQL."""
    queryset = people_visible_to(request.user).select_related("manager").annotate(account_count=Count("accounts", filter=PRESENT))
    table = table_page(
        request,
        queryset,
        sorts={"person_id": "person_id", "department": "department", "kind": "kind", "status": "status", "started": "started_at"},
        default_sort="person_id",
        filterset_class=PersonFilter,
    )
    return render(request, "access_reviews/person_list.html", {"table": table, "can_edit": is_lead(request.user)})


@role_required(*READERS)
def person_detail(request, pk: int):
    person, can_edit = get_person_for(request.user, pk)
    record_view(request, person)
    accounts = person.accounts.select_related("system", "access_request").order_by("system__name", "pk")
    tasks = person.deprovision_tasks.select_related("account__system", "closed_by").order_by("closed_at", "due_at")

    context = {
        "person": person,
        "can_edit": can_edit,
        "accounts": accounts,
        "tasks": tasks,
        "open_tasks": [t for t in tasks if t.is_open],
        "training": person.training_records.select_related("recorded_by")[:10],
        "training_obligations": obligations_for(person).filter(kind__startswith="access_reviews.training", completed_at__isnull=True),
        "requests": person.access_requests.select_related("system", "approver")[:10],
        "terminate_form": TerminateForm(initial={"terminated_at": timezone.localtime().replace(second=0, microsecond=0)}),
        "now": timezone.now(),
    }
    return render(request, "access_reviews/person_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def person_edit(request, pk: int | None = None):
    person = get_person_for(request.user, pk)[0] if pk else None
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if person is None:
                person = registry.person_create(data=data, by=request.user, now=timezone.now(), request=request)
                messages.success(request, f"Person {person.person_id} added to the registry.")
            else:
                person = Person.objects.get(pk=person.pk)  # the form has already written onto its instance
                registry.person_update(person=person, data=data, by=request.user, now=timezone.now(), request=request)
                messages.success(request, "Changes saved.")
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("access_reviews:person_detail", pk=person.pk)
    return render(
        request,
        "access_reviews/form_page.html",
        {"form": form, "title": "Edit person" if person else "Add a person", "back_url": _back(person, "person")},
    )


@role_required(*SECURITY_LEAD)
@require_POST
def person_terminate(request, pk: int):
    person, _ = get_person_for(request.user, pk)
    form = TerminateForm(request.POST)
    if form.is_valid():
        try:
            tasks = registry.person_terminate(
                person=person, terminated_at=form.cleaned_data["terminated_at"], by=request.user, now=timezone.now(), request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.warning(
                request, f"Person terminated: {len(tasks)} deprovisioning task(s) opened, each due 24 hours after the termination."
            )
            return redirect("access_reviews:person_detail", pk=person.pk)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("access_reviews:person_detail", pk=person.pk)


@role_required(*READERS)
def system_list(request):
    queryset = System.objects.select_related("owner").annotate(
        account_count=Count("accounts", filter=Q(accounts__removed_at__isnull=True)),
        flagged_count=Count("accounts", filter=Q(accounts__removed_at__isnull=True, accounts__flag_count__gt=0)),
    )
    table = table_page(request, queryset, sorts={"name": "name", "imported": "last_import_at", "scope": "in_scope"}, default_sort="name")
    only_portal = not System.objects.filter(is_portal=False).exists()  # the portal's own row is always there (migration)
    return render(
        request, "access_reviews/system_list.html", {"table": table, "can_edit": is_lead(request.user), "only_portal": only_portal}
    )


@role_required(*READERS)
def system_detail(request, pk: int):
    system = get_object_or_404(System.objects.select_related("owner", "asset"), pk=pk)
    record_view(request, system)
    accounts = accounts_visible_to(request.user).filter(system=system).select_related("person", "access_request", "system")
    table = table_page(
        request,
        accounts,
        sorts={"flags": "-flag_count", "privilege": "privilege", "last_login": "last_login_at", "mfa": "mfa"},
        default_sort="flags",
        filterset_class=AccountFilter,
    )
    imports = system.imports.select_related("created_by")[:5] if is_lead(request.user) else []
    return render(
        request,
        "access_reviews/system_detail.html",
        {"system": system, "table": table, "can_edit": is_lead(request.user), "imports": imports},
    )


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def system_edit(request, pk: int | None = None):
    system = get_object_or_404(System, pk=pk) if pk else None
    form = SystemForm(request.POST or None, instance=system)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if system is None:
            system = registry.system_create(data=data, by=request.user, now=timezone.now(), request=request)
            messages.success(request, f"System {system.name} added. Import its accounts next.")
        else:
            system = System.objects.get(pk=system.pk)  # the form has already written onto its instance
            registry.system_update(system=system, data=data, by=request.user, now=timezone.now(), request=request)
            messages.success(request, "Changes saved.")
        return redirect("access_reviews:system_detail", pk=system.pk)
    return render(
        request,
        "access_reviews/form_page.html",
        {"form": form, "title": "Edit system" if system else "Add a system", "back_url": _back(system, "system")},
    )


def count_cache_seconds() -> int:
    """``ACCOUNT_LIST_COUNT_CACHE_SECONDS``: by default 10 minutes, and 0 (off) under the tests,
    like ``COMPLIANCE_POSTURE_CACHE_SECONDS``."""
    return int(settings.ACCOUNT_LIST_COUNT_CACHE_SECONDS)


class CountedUntilChange(QuerySet):
    """A queryset whose ``count()`` (the paginator's "1–25 of 24,867") is kept in the cache until
    the next audited change anywhere (its key holds ``latest_change_id``, as the dashboard's posture
    does): the lead's accounts list counted all 25,000 rows on every load, 96% of its database
    time. The key also holds the count's SQL and parameters, so every filter and every reader's
    visibility is counted apart. With the cache down the rows are counted (grc.degraded)."""

    def count(self) -> int:
        seconds = count_cache_seconds()
        if self._result_cache is not None or seconds <= 0:
            return super().count()
        query = self.query.chain()
        query.clear_ordering(force=True)  # one count for every sort order
        sql, params = query.get_compiler(self.db).as_sql()
        digest = hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
        key = f"accounts:list-count:{latest_change_id()}:{digest}"
        total = degraded.cache_get(key, where="account_list_count")
        if not isinstance(total, int):
            total = super().count()
            degraded.cache_set(key, total, seconds, where="account_list_count")
        return total


_NOBODY = '<span class="text-body-secondary">nobody</span>'
_SERVICE = ' <span class="badge text-bg-light border">service</span>'
_REMOVED, _ENABLED, _DISABLED = (
    str(status_badge(*pair)) for pair in (("closed", "removed"), ("active", "enabled"), ("expired", "disabled"))
)


def _account_row_html(account, url: str) -> str:
    person = escape(account.person.name) if account.person else _NOBODY
    state = _REMOVED if account.removed_at else _ENABLED if account.enabled else _DISABLED
    return (
        "\n    <tr>\n"
        f"      <td>{escape(account.system.name)}</td>\n"
        f'      <td><a href="{escape(url)}">{escape(account.name)}</a>{_SERVICE if account.is_service_account else ""}</td>\n'
        f"      <td>{person}</td>\n"
        f"      <td>{escape(account.privilege or '—')}</td>\n"
        f"      <td>{mfa_badge(account.mfa)}</td>\n"
        f"      <td>{escape(local(account.last_login_at, '%d %b %Y'))}</td>\n"
        f"      <td>{state}</td>\n"
        f"      <td>{flag_badges(account)}</td>\n"
        "    </tr>\n  "
    )


def account_rows_html(accounts) -> str:
    """The rows of ``access_reviews/partials/account_table.html`` with the system column, written in
    Python for the accounts list (25–200 rows; the system page still includes the partial). The
    same HTML: tests/access_reviews/test_account_list_count.py renders the partial and compares."""
    url_of = pk_url("access_reviews:account_detail")
    # every value is escaped above; the badges are the tags' own safe HTML
    return mark_safe("".join(_account_row_html(account, url_of(account.pk)) for account in accounts))  # noqa: S308  # nosec B308 B703


@role_required(*READERS)
def account_list(request):
    # the table shows the system's name and the person's name: their other encrypted texts (and the
    # account's purpose) are not read, so 25,000 accounts page as fast as 25
    visible = accounts_visible_to(request.user)
    queryset = (
        CountedUntilChange(model=Account, query=visible.query.chain(), using=visible.db)
        .select_related("system", "person")
        .defer("purpose", "system__description", "system__column_mapping", "person__email")
    )
    table = table_page(
        request,
        queryset,
        sorts={"flags": "-flag_count", "system": "system__name", "privilege": "privilege", "last_login": "last_login_at", "mfa": "mfa"},
        default_sort="flags",
        filterset_class=AccountFilter,
    )
    use_fast_widgets(table.filterset.form)
    context = {"table": table, "rows_html": account_rows_html(table.rows), "can_edit": is_lead(request.user)}
    return render(request, "access_reviews/account_list.html", context)


@role_required(*READERS)
def account_detail(request, pk: int):
    account, can_edit = get_account_for(request.user, pk)
    record_view(request, account)
    context = {
        "account": account,
        "can_edit": can_edit,
        "tasks": account.deprovision_tasks.select_related("closed_by").order_by("-opened_at"),
        "reviews": account.review_rows.select_related("campaign", "reviewer").order_by("-campaign__period_start")[:8],
        "now": timezone.now(),
    }
    return render(request, "access_reviews/account_detail.html", context)


@role_required(*SECURITY_LEAD)
@require_POST
def account_service_decide(request, pk: int):
    """Confirm or reject an import's "service account?" suggestion (the answer survives re-imports)."""
    account, can_edit = get_account_for(request.user, pk)
    if not can_edit:
        raise PermissionDenied
    confirm = request.POST.get("answer") == "confirm"
    try:
        service_accounts.account_service_decide(account=account, confirm=confirm, by=request.user, now=timezone.now(), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Marked as a service account." if confirm else "Kept as a personal account.")
    return redirect("access_reviews:account_detail", pk=account.pk)


@role_required(*SECURITY_LEAD)
@require_http_methods(["GET", "POST"])
def account_edit(request, pk: int | None = None):
    account = get_account_for(request.user, pk)[0] if pk else None
    initial = {"system": request.GET.get("system")} if account is None else None
    form = AccountForm(request.POST or None, instance=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if account is None:
                account = registry.account_create(data=data, by=request.user, now=timezone.now(), request=request)
                messages.success(request, "Account added.")
            else:
                account = Account.objects.select_related("person").get(pk=account.pk)  # the form wrote onto its instance
                registry.account_update(account=account, data=data, by=request.user, now=timezone.now(), request=request)
                messages.success(request, "Changes saved.")
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("access_reviews:account_detail", pk=account.pk)
    return render(
        request,
        "access_reviews/form_page.html",
        {"form": form, "title": "Edit account" if account else "Add an account", "back_url": _back(account, "account")},
    )


@role_required(*LEAD_OR_AUDITOR)
def account_export(request):
    """Every account as CSV (formula-safe), e.g. for an auditor's sample."""
    accounts = Account.objects.select_related("system", "person").order_by("system__name", "pk")
    rows = [
        [
            a.system.name,
            a.name,
            a.person.person_id if a.person else "",
            "service" if a.is_service_account else "personal",
            a.privilege,
            "yes" if a.privileged else "no",
            a.mfa,
            a.last_login_at.isoformat() if a.last_login_at else "",
            "removed" if a.removed_at else ("enabled" if a.enabled else "disabled"),
            " ".join(f.value for f in a.flags),
        ]
        for a in accounts.iterator(chunk_size=2000)
    ]
    record_download(request, what="csv", count=len(rows), object_type="access_reviews.account")
    header = ["system", "account", "person_id", "type", "privilege", "privileged", "mfa", "last_login", "state", "flags"]
    return csv_response("accounts.csv", header, rows)
