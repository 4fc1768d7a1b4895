"""Systems and their accounts (DPP 1.2/1.3). Read by the lead, managers (accounts of their reports
and of systems they own) and auditors; the security lead's tokens (``access:write``) sync a
system's accounts from an identity provider or cloud console:

``POST /systems/{id}/accounts/sync/`` — the posted list replaces that system's accounts. It is the
CSV import's own plan (``access_reviews.imports.accounts.plan_accounts``: adds, changes, removes,
flags, errors by row) and apply (``access_reviews.imports.jobs.accounts_plan_apply``: deprovisioning
tasks verified and re-opened, late tasks of terminated people opened). ``dry_run`` returns the
preview without changing anything; any invalid row is a 400 and nothing is written. A key left out
of a row keeps that account's stored value (``null`` or ``""`` clears it); a sync that would take
privileged or MFA on away from an account is refused unless ``confirm_downgrades`` is true.

A list too large for one request is sent gzip-compressed (``grc.api.parsers``) or through a sync
session (``…/accounts/sync/sessions/``: begin, pages, commit; ``grc.api.sync_sessions``), whose
commit is this same sync over all its pages at once (``accounts_sync_run``).

``POST /systems/{id}/accounts/import/`` — the same full sync from the file an identity provider
wrote (AWS IAM credential report, Okta, Entra ID …), sent as the body (``text/csv``) or multipart
``file``: read by ``grc.csvio``, its preset and mapping found as on the upload page
(``access_reviews.imports.jobs.accounts_mapping_for``), planned with the preset's value readers;
row errors name the file's lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from access_reviews.access import accounts_visible_to
from access_reviews.filters import FLAG_CHOICES, filter_flag
from access_reviews.imports import accounts as account_import
from access_reviews.imports.jobs import accounts_mapping_for, accounts_plan_apply
from access_reviews.imports.presets import CUSTOM, PRESETS, Preset, preset_for, wrong_format_message
from access_reviews.models import Account, Mfa, System
from access_reviews.selectors import systems_with_account_counts
from grc.api import sync_sessions
from grc.api.areas.people import csv_read, csv_upload, plan_errors, shown_columns
from grc.api.base import ID_PATTERN, ApiModelSerializer, ApiViewSet, IdFilter, MomentField
from grc.api.models import SyncSession, SyncStatus
from grc.api.parsers import RawCsvParser, check_csv_body_size
from grc.api.schema import ErrorSerializer
from grc.audit.services import record_event

if TYPE_CHECKING:
    from access_reviews.models import Person
    from assets.models import Asset
    from grc.accounts.models import User

MAX_SYNC_ROWS = 50_000


class SystemSerializer(ApiModelSerializer):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="null only for the portal's own row (is_portal)"
    )
    asset: serializers.SlugRelatedField[Asset] = serializers.SlugRelatedField(
        slug_field="tag", read_only=True, allow_null=True, help_text="tag of the inventory asset, if any"
    )
    account_count = serializers.IntegerField(read_only=True, help_text="accounts present (not removed)")
    flagged_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = System
        fields = [
            "id",
            "name",
            "description",
            "owner",
            "holds_amazon_information",
            "in_scope",
            "is_portal",
            "asset",
            "account_count",
            "flagged_count",
            "last_import_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AccountSerializer(ApiModelSerializer):
    system: serializers.SlugRelatedField[System] = serializers.SlugRelatedField(slug_field="name", read_only=True)
    system_id = serializers.IntegerField(read_only=True)
    person: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(slug_field="person_id", read_only=True, allow_null=True)
    flags = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "system",
            "system_id",
            "name",
            "person",
            "is_service_account",
            "is_shared",
            "privilege",
            "privileged",
            "mfa",
            "last_login_at",
            "enabled",
            "removed_at",
            "last_seen_at",
            "flags",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_flags(self, account) -> list[str]:
        return [flag.value for flag in account.flags]


class AccountRowSerializer(serializers.Serializer):
    """One account as the identity provider lists it. A key left out of a row leaves that account's
    stored value unchanged (a new account gets the default); ``null`` or ``""`` clears it: no
    person, no privilege, MFA unknown, no last login, no purpose; a yes/no goes back to its default
    (enabled yes, the others no; ``privileged`` to what the privilege implies)."""

    account = serializers.CharField(max_length=300, help_text="the account name (login, UPN, email …)")
    person_id = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, allow_null=True, help_text="matches a person by email")
    privilege = serializers.CharField(max_length=120, required=False, allow_blank=True, allow_null=True)
    privileged = serializers.BooleanField(required=False, allow_null=True)
    mfa = serializers.ChoiceField(choices=Mfa.choices, required=False, allow_blank=True, allow_null=True)
    last_login = MomentField(required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False, allow_null=True)
    service_account = serializers.BooleanField(required=False, allow_null=True)
    purpose = serializers.CharField(max_length=500, required=False, allow_blank=True, allow_null=True)
    shared = serializers.BooleanField(required=False, allow_null=True)


class AccountSyncSerializer(serializers.Serializer):
    accounts = AccountRowSerializer(many=True, max_length=MAX_SYNC_ROWS, allow_empty=False)  # type: ignore[call-arg]  # many=True passes max_length to the ListSerializer; the stubs omit it
    dry_run = serializers.BooleanField(default=False, help_text="true: return the preview and change nothing")
    confirm_downgrades = serializers.BooleanField(
        default=False, help_text="true: apply even though accounts lose privileged or MFA on (see the dry run's downgrades)"
    )


class SyncValueSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True, help_text="stored value (a person as id and masked email)")
    new = serializers.JSONField(allow_null=True)


class SyncDowngradeSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="index of the row in the request")
    name = serializers.CharField()
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=["privileged", "mfa"]))


class SyncRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(required=False, help_text="index of the row in the request")
    name = serializers.CharField()
    person = serializers.CharField(allow_blank=True)
    privilege = serializers.CharField(required=False, allow_blank=True)
    fields = serializers.ListField(child=serializers.CharField(), required=False)  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it to _declared_fields, so Serializer.fields stays
    values = SyncValueSerializer(many=True, required=False, help_text="changes: each field's stored and new value")
    downgrades = serializers.ListField(child=serializers.CharField(), required=False, help_text="changes: privileged and/or mfa taken away")
    flags = serializers.ListField(child=serializers.CharField(), required=False)


class AccountSyncResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    summary = serializers.DictField(
        child=serializers.IntegerField(), help_text="rows, adds, changes, unchanged, removes, privileged_downgrades, mfa_downgrades …"
    )
    adds = SyncRowSerializer(many=True)
    changes = SyncRowSerializer(many=True)
    removes = SyncRowSerializer(many=True)
    downgrades = SyncDowngradeSerializer(many=True, help_text="accounts that would lose privileged or MFA on")
    tasks = serializers.DictField(child=serializers.IntegerField(), help_text="deprovisioning tasks closed, re-opened, opened")


class AccountImportResultSerializer(AccountSyncResultSerializer):
    preset = serializers.CharField(help_text="the source the file was read as: a preset key, or custom (the names of its columns)")


PRESET_KEYS = ["", *PRESETS, CUSTOM]
CSV_IMPORT_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="unreadable file, wrong format for the preset, no account column, or bad rows"),
    413: OpenApiResponse(ErrorSerializer, description="the file is larger than the CSV limit"),
}


class CsvImportOptionsSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="true: return the preview and change nothing")


class AccountImportOptionsSerializer(CsvImportOptionsSerializer):
    preset = serializers.ChoiceField(
        choices=PRESET_KEYS,
        required=False,
        default="",
        allow_blank=True,
        help_text="the tool that wrote the file; empty: guessed from the header",
    )
    confirm_downgrades = serializers.BooleanField(
        default=False, help_text="true: apply even though accounts lose privileged or MFA on (see the dry run's downgrades)"
    )


class AccountImportMultipartSerializer(AccountImportOptionsSerializer):
    file = serializers.FileField(help_text="the CSV file as the identity provider wrote it")


def no_account_column(header: list[str], preset: Preset | None) -> serializers.ValidationError:
    expected = preset.columns["account"] if preset else account_import.FIELDS["account"][2]
    source = f"a {preset.label} file" if preset else "a file of no known tool"
    return serializers.ValidationError(
        {
            "file": [
                f"No column of this file holds the account name: {source} has it in a column named "
                f"{' or '.join(expected)}. The file's columns: {shown_columns(header)}. Choose the preset of the tool that "
                "wrote it, or upload it on the system's import page to map its columns there."
            ]
        }
    )


SESSION_CONFLICT = "The session is committed, abandoned or expired, or a page came out of order: the reason says which."
SESSION_ID = OpenApiParameter("session_id", int, OpenApiParameter.PATH, description="id of the sync session (from its begin)")


class SyncSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=SyncStatus.choices)
    expires_at = serializers.DateTimeField(help_text="an hour after the last page: append or commit before then")
    pages = serializers.IntegerField(help_text="the highest page number received")
    rows_so_far = serializers.IntegerField(help_text="rows of all pages received")
    max_rows_per_page = serializers.IntegerField()
    max_rows = serializers.IntegerField(help_text="rows of all pages together")


class SyncPageSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, max_value=100_000, help_text="page number: 1, 2, …; the same number again replaces it")
    accounts = AccountRowSerializer(many=True, max_length=MAX_SYNC_ROWS, allow_empty=False)  # type: ignore[call-arg]  # many=True passes max_length to the ListSerializer; the stubs omit it


class SyncCommitSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="true: return the preview, change nothing, keep the session open")
    confirm_downgrades = serializers.BooleanField(
        default=False, help_text="true: apply even though accounts lose privileged or MFA on (see the dry run's downgrades)"
    )


def session_body(session: SyncSession) -> dict:
    return {
        "id": session.pk,
        "status": session.status,
        "expires_at": session.expires_at.isoformat(),
        "pages": session.page_count,
        "rows_so_far": session.row_count,
        "max_rows_per_page": MAX_SYNC_ROWS,
        "max_rows": sync_sessions.MAX_SESSION_ROWS,
    }


def account_cells(row: dict) -> dict[str, str | None]:
    """A validated row as the import's planner reads it: only the keys the row has (a key left out
    keeps the stored value), ``None`` for an explicit null or empty string (clears it), else the
    text a file would hold (yes/no, ISO 8601)."""
    cells: dict[str, str | None] = {}
    for key, value in row.items():
        if value is None or value == "":
            cells[key] = None
        elif isinstance(value, bool):
            cells[key] = "yes" if value else "no"
        elif hasattr(value, "isoformat"):
            cells[key] = value.isoformat()
        else:
            cells[key] = str(value)
    return cells


def downgrade_refusal(plan, collection: str = "accounts") -> serializers.ValidationError:
    """The 400 of a sync that would take privileged or MFA on away without ``confirm_downgrades``:
    how many and which accounts, and each row named (``accounts.3``, the first 200). A feed that stopped sending a
    field used to look like this, so it is applied only when the caller says it is meant."""
    message = account_import.downgrade_message(account_import.plan_downgrade_names(plan))
    by_row = {
        str(row.line): [f"would lose {' and '.join('MFA on' if k == 'mfa' else k for k in kinds)}"]
        for row, kinds in plan.downgrades[: account_import.PREVIEW_SAMPLE]
    }
    return serializers.ValidationError(
        {"confirm_downgrades": [f'{message} Check the dry run, then send "confirm_downgrades": true to apply.'], collection: by_row}
    )


class SystemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Systems that hold or reach Amazon Information, with their owners and account counts."""

    area = "access"
    serializer_class = SystemSerializer
    filterset_fields = ["name", "in_scope", "holds_amazon_information"]

    def get_queryset(self):
        return systems_with_account_counts()

    @extend_schema(request=AccountSyncSerializer, responses={200: AccountSyncResultSerializer})
    @action(detail=True, methods=["post"], url_path="accounts/sync", url_name="accounts-sync")
    def accounts_sync(self, request, pk=None):
        """Replace the system's accounts with the posted list (full sync): adds, changes and
        removes exactly as the CSV import would. ``dry_run: true`` only previews. A list too large
        for one request goes gzip-compressed or through a sync session (``…/sync/sessions/``)."""
        system = get_object_or_404(System, pk=self.get_object().pk)
        data = AccountSyncSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = accounts_sync_run(
            request,
            system,
            data.validated_data["accounts"],
            dry_run=data.validated_data["dry_run"],
            confirm_downgrades=data.validated_data["confirm_downgrades"],
            now=timezone.now(),
        )
        return Response(result)

    @extend_schema(
        operation_id="systems_accounts_import",
        request={"text/csv": OpenApiTypes.BINARY, "multipart/form-data": AccountImportMultipartSerializer},
        parameters=[
            OpenApiParameter("preset", str, enum=PRESET_KEYS, description="text/csv body: the tool that wrote the file (default: guessed)"),
            OpenApiParameter("dry_run", bool, description="text/csv body: true to preview only"),
            OpenApiParameter("confirm_downgrades", bool, description="text/csv body: true to apply downgrades"),
        ],
        responses={200: AccountImportResultSerializer, **CSV_IMPORT_ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="accounts/import",
        url_name="accounts-import",
        parser_classes=[MultiPartParser, RawCsvParser],
        body_check=check_csv_body_size,
    )
    def accounts_import(self, request, pk=None):
        """Replace the system's accounts with those of an identity provider's export file (full
        sync): the body as ``text/csv`` (gzip allowed) or multipart ``file``. ``preset`` names the
        tool (empty: guessed from the header, as on the upload page); the system's saved mapping is
        used when the file has its columns. Any bad row is a 400 naming its line; nothing is written."""
        system = get_object_or_404(System, pk=self.get_object().pk)
        data, options = csv_upload(request, AccountImportOptionsSerializer)
        header, rows = csv_read(data)
        wrong = wrong_format_message(options["preset"], header)
        if wrong:
            raise serializers.ValidationError({"preset": [wrong]})
        found = accounts_mapping_for(header, options["preset"], saved_mapping=system.column_mapping, saved_preset=system.import_preset)
        preset = preset_for(found.preset)
        if account_import.mapping_problems(found.mapping, header):
            raise no_account_column(header, preset)
        result = accounts_cells_run(
            request,
            system,
            found.mapping,
            [account_import.csv_cells(row, found.mapping) for row in rows],
            preset=preset,
            collection="lines",
            source=f"file preset={found.preset}",
            dry_run=options["dry_run"],
            confirm_downgrades=options["confirm_downgrades"],
            now=timezone.now(),
        )
        return Response({**result, "preset": found.preset})

    # --- sync sessions (grc.api.sync_sessions): one full sync sent in pages ---------------------
    def _session(self, request, session_id) -> tuple[System, SyncSession]:
        """The system and its session opened by this token; 404 for any other (another system's,
        another token's), so a session id reveals nothing."""
        system = get_object_or_404(System, pk=self.get_object().pk)
        session = sync_sessions.session_for(system=system, token=request.auth, session_id=int(session_id))
        if session is None:
            raise Http404
        return system, session

    @extend_schema(request=None, responses={201: SyncSessionSerializer})
    @action(detail=True, methods=["post"], url_path="accounts/sync/sessions", url_name="accounts-sync-sessions")
    def accounts_sync_session_begin(self, request, pk=None):
        """Open a sync session: a full sync sent in pages, planned and applied as one on commit.
        Expires an hour after it was opened or last appended to."""
        system = get_object_or_404(System, pk=self.get_object().pk)
        session = sync_sessions.session_begin(system=system, token=request.auth, by=request.user, now=timezone.now(), request=request)
        return Response(session_body(session), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=SyncPageSerializer,
        responses={200: SyncSessionSerializer, 409: OpenApiResponse(ErrorSerializer, description=SESSION_CONFLICT)},
        parameters=[SESSION_ID],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"accounts/sync/sessions/(?P<session_id>{ID_PATTERN})/pages",
        url_name="accounts-sync-session-pages",
    )
    def accounts_sync_session_page(self, request, pk=None, session_id=None):
        """Append page ``seq`` (1, 2, …) of the sync's list. Sending a page number again replaces
        that page (a retry counts once); skipping one is a 409 naming the page expected. Each
        page's rows are checked as the sync checks them (``accounts.3.mfa``: row 3 of this page)."""
        _system, session = self._session(request, session_id)
        data = SyncPageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        known = set(AccountRowSerializer().fields)
        rows = [{key: value for key, value in row.items() if key in known} for row in request.data["accounts"]]
        session = sync_sessions.page_append(session=session, seq=data.validated_data["seq"], rows=rows, now=timezone.now())
        return Response(session_body(session))

    @extend_schema(
        request=SyncCommitSerializer,
        responses={200: AccountSyncResultSerializer, 409: OpenApiResponse(ErrorSerializer, description=SESSION_CONFLICT)},
        parameters=[SESSION_ID],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"accounts/sync/sessions/(?P<session_id>{ID_PATTERN})/commit",
        url_name="accounts-sync-session-commit",
    )
    def accounts_sync_session_commit(self, request, pk=None, session_id=None):
        """Plan every page at once and apply it, as one sync of all the rows: the same result as
        the sync; rows are numbered across pages (``accounts.70000``). Any invalid row is a 400
        and nothing is written (the session stays open to fix and commit again). ``dry_run``
        previews and leaves the session open; a session is committed once."""
        system, session = self._session(request, session_id)
        data = SyncCommitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        now = timezone.now()
        dry_run = data.validated_data["dry_run"]
        with transaction.atomic():
            session = sync_sessions.session_lock_open(session, now)
            rows = sync_sessions.session_rows(session)
            if not rows:
                raise serializers.ValidationError({"accounts": ["The session has no pages: append at least one before committing."]})
            checked = AccountRowSerializer(data=rows, many=True, max_length=sync_sessions.MAX_SESSION_ROWS)  # type: ignore[call-arg]  # many=True passes max_length to the ListSerializer; the stubs omit it
            if not checked.is_valid():
                raise serializers.ValidationError({"accounts": checked.errors})
            result = accounts_sync_run(
                request,
                system,
                checked.validated_data,
                dry_run=dry_run,
                confirm_downgrades=data.validated_data["confirm_downgrades"],
                now=now,
            )
            if not dry_run:
                sync_sessions.session_close(
                    session=session, status_to=SyncStatus.COMMITTED, now=now, request=request, details=result["summary"]
                )
        return Response(result)

    @extend_schema(
        request=None,
        responses={204: None, 409: OpenApiResponse(ErrorSerializer, description=SESSION_CONFLICT)},
        parameters=[SESSION_ID],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=rf"accounts/sync/sessions/(?P<session_id>{ID_PATTERN})",
        url_name="accounts-sync-session",
    )
    def accounts_sync_session_abandon(self, request, pk=None, session_id=None):
        """Abandon the session: its pages are deleted and nothing is applied."""
        _system, session = self._session(request, session_id)
        sync_sessions.session_abandon(session=session, now=timezone.now(), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


def accounts_sync_run(request, system: System, raw_rows: list[dict], *, dry_run: bool, confirm_downgrades: bool, now) -> dict:
    """One full sync of ``system``'s accounts from validated rows: the one-shot sync and a session's
    commit both come here. The CSV import's plan; any row error is a 400 and nothing is written; a
    downgrade needs ``confirm_downgrades``; ``dry_run`` writes nothing."""
    mapping = {key: key for key in account_import.FIELDS if any(key in row for row in raw_rows)}
    rows = [account_import.CellRow(line=index, cells=account_cells(row)) for index, row in enumerate(raw_rows)]
    return accounts_cells_run(request, system, mapping, rows, dry_run=dry_run, confirm_downgrades=confirm_downgrades, now=now)


def accounts_cells_run(
    request,
    system: System,
    mapping: dict[str, str],
    rows: list[account_import.CellRow],
    *,
    dry_run: bool,
    confirm_downgrades: bool,
    now,
    preset: Preset | None = None,
    collection: str = "accounts",
    source: str = "",
) -> dict:
    """Plan and apply a full sync from rows of cells: the API's rows (``accounts_sync_run``) or a
    file's (the file import, with its preset's readers; ``collection`` "lines" names the errors by
    the file's line numbers). Any row error is a 400 and nothing is written."""
    tasks: dict[str, int] = {}
    with transaction.atomic():
        plan, lookups = account_import.plan_account_cells(system, mapping, rows, preset=preset)
        if plan.errors:
            raise plan_errors(plan, collection)
        sample = account_import.preview_sample(plan, lookups)
        if plan.downgrades and not dry_run and not confirm_downgrades:
            raise downgrade_refusal(plan, collection)
        if not dry_run:
            tasks = accounts_plan_apply(system=system, plan=plan, mapping=mapping, by=request.user, now=now, request=request)
            record_event(
                "access_reviews.accounts.synced",
                request=request,
                obj=system,
                message=f"system={system.pk} {source}".strip(),
                details={**plan.summary(), **tasks},
            )
    return {
        "dry_run": dry_run,
        "applied": not dry_run,
        "summary": plan.summary(),
        "adds": sample["adds"],
        "changes": sample["changes"],
        "removes": sample["removes"],
        "downgrades": sample["downgrades"],
        "tasks": tasks,
    }


class AccountFilter(django_filters.FilterSet):
    system = IdFilter(field_name="system_id", help_text="system id")
    person = django_filters.CharFilter(field_name="person__person_id", help_text="person id of the owner")
    state = django_filters.ChoiceFilter(
        choices=[("enabled", "enabled"), ("disabled", "disabled"), ("removed", "removed")], method="filter_state"
    )
    flag = django_filters.ChoiceFilter(choices=FLAG_CHOICES, method="filter_flag")
    mfa = django_filters.ChoiceFilter(choices=Mfa.choices)
    privileged = django_filters.BooleanFilter()
    is_service_account = django_filters.BooleanFilter()

    class Meta:
        model = Account
        fields: list[str] = []

    def filter_state(self, queryset, name, value):
        if value == "removed":
            return queryset.filter(removed_at__isnull=False)
        return queryset.filter(removed_at__isnull=True, enabled=value == "enabled")

    def filter_flag(self, queryset, name, value):
        return filter_flag(queryset, name, value)


class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Accounts on systems, with their stored flags. A manager sees their reports' accounts, their
    own, and those on systems they own."""

    area = "access"
    queryset = Account.objects.none()  # the real one depends on the user: get_queryset
    serializer_class = AccountSerializer
    filterset_class = AccountFilter

    def get_queryset(self):
        return accounts_visible_to(self.request.user).select_related("system", "person")
