"""People (DPP 1.2): the registry read by the lead, managers (their reports) and auditors; created,
updated and terminated by the security lead's tokens (``people:write``) through
``access_reviews.services.registry``. A termination opens a 24-hour deprovisioning task for each
enabled account. ``POST /people/sync/`` is the HR-system feed: the people CSV import's plan and
apply (``access_reviews.imports.people``), with a dry run. ``POST /people/import/`` is the same from
the file an HR system or identity provider wrote (``text/csv`` body or multipart ``file``), its
columns mapped by ``mapping`` or as the upload page would (``access_reviews.imports.jobs.people_mapping_for``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from access_reviews.imports import people as people_import
from access_reviews.imports.jobs import people_mapping_for
from access_reviews.imports.values import mask_email
from access_reviews.models import Person, PersonKind, PersonStatus
from access_reviews.selectors import people_visible_to
from access_reviews.services import registry
from grc.api.base import ApiModelSerializer, ApiViewSet, MomentField, NaturalKeyField
from grc.api.parsers import RawCsvParser, check_csv_body_size, csv_max_bytes, csv_too_large
from grc.api.schema import ErrorSerializer
from grc.audit.services import record_event
from grc.crypto import blind_index
from grc.csvio import CsvFileError, CsvRow, read_csv

if TYPE_CHECKING:
    from grc.accounts.models import User

MAX_SYNC_ROWS = 20_000


class PersonSerializer(ApiModelSerializer):
    manager: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(slug_field="person_id", read_only=True, allow_null=True)
    user: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "person_id",
            "first_name",
            "last_name",
            "email",
            "manager",
            "user",
            "department",
            "kind",
            "status",
            "started_at",
            "terminated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PersonWriteSerializer(serializers.Serializer):
    person_id = serializers.CharField(max_length=40)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    manager = NaturalKeyField(
        slug_field="person_id",
        queryset=Person.objects.filter(status=PersonStatus.ACTIVE),
        required=False,
        allow_null=True,
        help_text="the manager's person id",
    )
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=PersonKind.choices, required=False)
    started_at = MomentField(required=False, allow_null=True)


class TerminateSerializer(serializers.Serializer):
    terminated_at = MomentField(help_text="when employment or the contract ended; the 24-hour clock runs from here")


class TerminationResultSerializer(serializers.Serializer):
    person = PersonSerializer()
    tasks_opened = serializers.IntegerField()
    task_ids = serializers.ListField(child=serializers.IntegerField())


class PersonRowSerializer(serializers.Serializer):
    """One person of the HR feed: the columns of the people CSV import."""

    person_id = serializers.CharField(max_length=40)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    manager_id = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="the manager's person id")
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=["employee", "contractor", "service_owner"], required=False)
    status = serializers.ChoiceField(choices=["active", "terminated"], required=False)
    started_at = MomentField(required=False, allow_null=True)
    terminated_at = MomentField(required=False, allow_null=True)


class PeopleSyncSerializer(serializers.Serializer):
    people = PersonRowSerializer(many=True, max_length=MAX_SYNC_ROWS, allow_empty=False)  # type: ignore[call-arg]  # many=True passes max_length to the ListSerializer; the stubs omit it
    dry_run = serializers.BooleanField(default=False, help_text="true: return the preview and change nothing")


class PreviewRowSerializer(serializers.Serializer):
    line = serializers.IntegerField(required=False, help_text="index of the row in the request")
    name = serializers.CharField()
    person = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField(), required=False)  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it to _declared_fields, so Serializer.fields stays


class PeopleSyncResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    summary = serializers.DictField(child=serializers.IntegerField())
    adds = PreviewRowSerializer(many=True)
    changes = PreviewRowSerializer(many=True)
    terminations = PreviewRowSerializer(many=True)


class PeopleImportOptionsSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="true: return the preview and change nothing")
    mapping = serializers.JSONField(
        binary=True,
        required=False,
        help_text='JSON: field → the file\'s column, e.g. {"person_id": "employeeNumber"}; default: as the upload page maps this header',
    )

    def validate_mapping(self, value):
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise serializers.ValidationError("Give an object of field → column name, both text.")
        return {target: column for target, column in value.items() if column}


class PeopleImportMultipartSerializer(PeopleImportOptionsSerializer):
    file = serializers.FileField(help_text="the CSV file as the HR system or identity provider wrote it")


class PeopleImportResultSerializer(PeopleSyncResultSerializer):
    mapping = serializers.DictField(child=serializers.CharField(), help_text="field → the file's column, as used")


class PersonFilter(django_filters.FilterSet):
    person_id = django_filters.CharFilter(help_text="exact person id")
    email = django_filters.CharFilter(method="filter_email", help_text="exact email (matched by its keyed hash)")
    department = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=PersonKind.choices)
    status = django_filters.ChoiceFilter(choices=PersonStatus.choices)

    class Meta:
        model = Person
        fields: list[str] = []

    def filter_email(self, queryset, name, value):
        return queryset.filter(email_index=blind_index(value))


def as_cells(row: dict) -> dict[str, str]:
    """A validated feed row as the CSV import reads it (text cells; dates in ISO 8601)."""
    cells = {}
    for key, value in row.items():
        if value is None:
            cells[key] = ""
        elif hasattr(value, "isoformat"):
            cells[key] = value.isoformat()
        else:
            cells[key] = str(value)
    return cells


NOT_JSON = "The file is JSON, not CSV: send the CSV export here (Content-Type: text/csv, or multipart field file), or JSON rows to the sync endpoint (…/sync/)."


def csv_upload(request, options: type[serializers.Serializer]) -> tuple[bytes, dict]:
    """The file of a CSV import (the body, or multipart ``file``) and its validated options (query
    parameters, or the form's fields). Nothing is read past the CSV limit."""
    media = (request.content_type or "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": ["Send the CSV file in the multipart field file."]})
        if upload.size > csv_max_bytes():
            raise csv_too_large(upload.size)
        values = {**request.query_params.dict(), **{key: request.data[key] for key in request.data if key != "file"}}
        data = upload.read()
    elif media == "application/json":  # the sync's body sent here by mistake: said so, not a bare 415
        raise serializers.ValidationError({"file": [NOT_JSON]})
    elif media == RawCsvParser.media_type:
        values, data = request.query_params.dict(), request.data
    else:
        raise exceptions.UnsupportedMediaType(
            media[:60], detail="Send the file as the body with Content-Type: text/csv, or as multipart/form-data (field file)."
        )
    form = options(data=values)
    form.is_valid(raise_exception=True)
    if not isinstance(data, bytes) or not data:
        raise serializers.ValidationError({"file": ["The file is empty."]})
    return data, dict(form.validated_data)


def csv_read(data: bytes) -> tuple[list[str], list[CsvRow]]:
    """The file's header and rows; an unreadable file (binary, not UTF-8, broken quotes) or one
    without rows is a 400 on ``file``. JSON sent here by mistake (whole or cut short) is named as
    such rather than read as a one-column CSV."""
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        raise serializers.ValidationError({"file": [NOT_JSON]})
    try:
        header, rows = read_csv(data)
    except CsvFileError as error:
        raise serializers.ValidationError({"file": [str(error)]})
    if not rows:
        raise serializers.ValidationError({"file": ["The file has a header but no rows."]})
    return header, rows


def shown_columns(header: list[str], limit: int = 40) -> str:
    """The file's column names for an error (a header that is really a first row of data must not
    echo an address: masked), the first ``limit``."""
    names = [mask_email(name) if "@" in name else name[:60] for name in header if name][:limit]
    return ", ".join(names) + (" …" if len([n for n in header if n]) > limit else "")


def plan_errors(plan, collection: str) -> serializers.ValidationError:
    """The import plan's row errors as a 400 naming each row (``people.3``) and the reason."""
    by_row: dict[str, list[str]] = {}
    for error in plan.errors:
        by_row.setdefault(str(error.line), []).append(error.message)
    return serializers.ValidationError({collection: by_row})


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """People of the registry. Reads follow the pages: the lead and auditors read everyone, a
    manager their reports and themselves."""

    area = "people"
    queryset = Person.objects.none()  # the real one depends on the user: get_queryset
    serializer_class = PersonSerializer
    filterset_class = PersonFilter

    def get_queryset(self):
        return people_visible_to(self.request.user).select_related("manager", "user")

    @extend_schema(request=PersonWriteSerializer, responses={201: PersonSerializer})
    def create(self, request):
        """Add a person (``people:write``)."""
        data = PersonWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = registry.person_create(data=dict(data.validated_data), by=request.user, now=timezone.now(), request=request)
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PersonWriteSerializer(partial=True), responses={200: PersonSerializer})
    def partial_update(self, request, pk=None):
        """Change some fields of a person (``people:write``)."""
        person = self.get_object()
        data = PersonWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        person = Person.objects.get(pk=person.pk)
        registry.person_update(person=person, data=dict(data.validated_data), by=request.user, now=timezone.now(), request=request)
        return Response(PersonSerializer(Person.objects.select_related("manager", "user").get(pk=person.pk)).data)

    @extend_schema(request=TerminateSerializer, responses={200: TerminationResultSerializer})
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        """Terminate a person: each enabled account gets a deprovisioning task due 24 hours after
        ``terminated_at`` (DPP 1.2)."""
        person = self.get_object()
        data = TerminateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tasks = registry.person_terminate(
            person=person, terminated_at=data.validated_data["terminated_at"], by=request.user, now=timezone.now(), request=request
        )
        person.refresh_from_db()
        return Response({"person": PersonSerializer(person).data, "tasks_opened": len(tasks), "task_ids": [task.pk for task in tasks]})

    @extend_schema(request=PeopleSyncSerializer, responses={200: PeopleSyncResultSerializer})
    @action(detail=False, methods=["post"])
    def sync(self, request):
        """The HR feed: add and change the people sent, terminate those sent as terminated (opening
        their 24-hour tasks). People not sent are left alone. With ``dry_run`` nothing changes.
        Any invalid row: 400 with every row's errors, and nothing is written."""
        data = PeopleSyncSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = [CsvRow(line=index, values=as_cells(row)) for index, row in enumerate(data.validated_data["people"])]
        return Response(people_rows_run(request, rows, mapping=None, dry_run=data.validated_data["dry_run"], now=timezone.now()))

    @extend_schema(
        operation_id="people_import",
        request={"text/csv": OpenApiTypes.BINARY, "multipart/form-data": PeopleImportMultipartSerializer},
        parameters=[
            OpenApiParameter("dry_run", bool, description="text/csv body: true to preview only"),
            OpenApiParameter("mapping", str, description="text/csv body: JSON object of field → the file's column"),
        ],
        responses={
            200: PeopleImportResultSerializer,
            400: OpenApiResponse(ErrorSerializer, description="unreadable file, a required field without a column, or bad rows"),
            413: OpenApiResponse(ErrorSerializer, description="the file is larger than the CSV limit"),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, RawCsvParser],
        body_check=check_csv_body_size,
    )
    def import_file(self, request):
        """The HR feed from a file (an HR system's or identity provider's export): the body as
        ``text/csv`` (gzip allowed) or multipart ``file``. Columns are mapped by ``mapping``, else
        as the upload page would (the mapping last confirmed for this header, our template's
        names, or a guess); a required field without a column is a 400 naming it and the file's
        columns. Any bad row: 400 naming its line, and nothing is written."""
        data, options = csv_upload(request, PeopleImportOptionsSerializer)
        header, rows = csv_read(data)
        mapping = options.get("mapping") or people_mapping_for(header)[0]
        problems = people_import.mapping_problems(mapping, header)
        if problems:
            raise serializers.ValidationError(
                {
                    "mapping": [
                        *problems,
                        f"The file's columns: {shown_columns(header)}. Send mapping (a JSON object of field → column), "
                        "or upload the file on the people import page to map its columns there.",
                    ]
                }
            )
        result = people_rows_run(request, rows, mapping=mapping, dry_run=options["dry_run"], now=timezone.now(), collection="lines")
        return Response({**result, "mapping": mapping})


def people_rows_run(request, rows: list[CsvRow], *, mapping: dict[str, str] | None, dry_run: bool, now, collection: str = "people") -> dict:
    """Plan and apply the HR feed's rows (the API's, ``mapping`` None) or a file's: any row error is
    a 400 naming each row (``collection``) and nothing is written; ``dry_run`` writes nothing."""
    with transaction.atomic():
        plan = people_import.plan_people(rows, now=now, mapping=mapping)
        if plan.errors:
            raise plan_errors(plan, collection)
        if not dry_run:
            people_import.apply_people(plan=plan, by=request.user, now=now, request=request)
            record_event("access_reviews.people.synced", request=request, object_type="access_reviews.person", details=plan.summary())
    sample = people_import.preview_sample(plan)
    return {
        "dry_run": dry_run,
        "applied": not dry_run,
        "summary": plan.summary(),
        "adds": sample["adds"],
        "changes": sample["changes"],
        "terminations": sample["terminations"],
    }
