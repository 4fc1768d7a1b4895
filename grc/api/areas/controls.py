"""The control register (DPP 1.1, 1.2, 1.4, 2, 2.3, 2.5, 2.6): what each in-scope system enforces,
per area (identity, logging, network, dlp, secrets), and the purpose of the PII in each data store.
Read by the lead, managers and auditors; recorded by the security lead's tokens
(``controls:write``) through ``grc.controls.services``, whose one validation (the schema of
``grc.controls.areas``) and audit trail serve the pages, the CSV import and this API alike.

``POST /controls/`` records (or re-attests) the entry of one subject and area; ``POST
/controls/bulk/`` is the infrastructure-as-code feed: every item is checked first, a bad one is a
400 naming it (``entries.3.values.retention_days``) and nothing is written; ``dry_run`` says what
would be created, updated or left unchanged. Each entry is listed with its verdict on its clause,
as ``register_facts(now)`` judges it for the pages and the evidence pack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from access_reviews.models import System
from assets.models import Asset, AssetKind
from grc.api.base import ApiModelSerializer, ApiViewSet, DayField, NaturalKeyField, UsernameField, storable_text
from grc.compliance.registry import ScopeSubject
from grc.controls.access import PORTAL_COMPUTED_AREAS, owners
from grc.controls.areas import AREAS, CLAUSE_AREAS
from grc.controls.checks import CHECK_NAMES
from grc.controls.models import AREA_CHOICES, ControlEntry
from grc.controls.rules import AT_RISK, NOT_MET, Verdict
from grc.controls.selectors import RegisterFacts, entries_queryset, register_facts
from grc.controls.services import control_entry_delete, control_entry_save, entry_changes, stored_state, validate_entry

if TYPE_CHECKING:
    from grc.accounts.models import User

MAX_BULK_ENTRIES = 1000
# Keys of the service's ValidationError that are about the request, not one of the area's values.
ENTRY_KEYS = ("area", "system", "data_store", "as_of", "evidence_file")
VERDICT_STATUSES = ("met", AT_RISK, NOT_MET, "not_tracked")
ACTIONS = ("created", "updated", "unchanged")


# --- the register as judged now, once per request --------------------------------------------------
class RegisterLens:
    """``register_facts(now)`` loaded on first use, with each subject's verdict per clause."""

    def __init__(self, now: datetime):
        self.now = now
        self._facts: RegisterFacts | None = None
        self._verdicts: dict[str, dict[str, Verdict]] = {}

    @property
    def facts(self) -> RegisterFacts:
        if self._facts is None:
            self._facts = register_facts(self.now)
        return self._facts

    def verdict(self, clause: str, subject_key: str) -> Verdict | None:
        """None: the subject is not in scope (e.g. a system that holds no Amazon Information)."""
        if clause not in self._verdicts:
            self._verdicts[clause] = {verdict.subject.key: verdict for verdict in self.facts.verdicts(clause)}
        return self._verdicts[clause].get(subject_key)

    def review_due_at(self, entry: ControlEntry) -> datetime | None:
        judged = self.facts.entries.get((entry.subject_key, entry.area))
        return judged.review_due_at if judged is not None and not judged.computed else None


# --- reads -------------------------------------------------------------------------------------------
class SubjectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["system", "data_store"])
    id = serializers.IntegerField(help_text="the system's id, or the data store's asset id")
    name = serializers.CharField(help_text="the system's registry name, or the data store's inventory tag")


def entry_subject(entry: ControlEntry) -> dict[str, Any]:
    if entry.system_id:
        assert entry.system is not None  # system_id is set
        return {"type": "system", "id": entry.system_id, "name": entry.system.name}
    assert entry.data_store is not None  # the model's check constraint: a system or a data store
    return {"type": "data_store", "id": entry.data_store_id, "name": entry.data_store.tag}


class ControlEntrySerializer(ApiModelSerializer):
    clause = serializers.SerializerMethodField(help_text="the DPP clause of the area")
    subject = serializers.SerializerMethodField()
    values = serializers.DictField(read_only=True, help_text="the area's fields (see the area's schema on the register page)")
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="who re-attests it"
    )
    review_due_at = serializers.SerializerMethodField(help_text="when it must be re-attested (the area's cadence)")
    stale = serializers.SerializerMethodField(help_text="past its re-attestation date")
    status = serializers.SerializerMethodField(help_text="the subject's verdict on the clause; null when the subject is not in scope")
    problems = serializers.SerializerMethodField(help_text="why the clause is not met or at risk for this subject, in words")

    class Meta:
        model = ControlEntry
        fields = [
            "id",
            "area",
            "clause",
            "subject",
            "values",
            "owner",
            "as_of",
            "review_due_at",
            "stale",
            "evidence_link",
            "evidence_sha256",
            "status",
            "problems",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @property
    def lens(self) -> RegisterLens:
        return self.context["lens"]

    def get_clause(self, entry) -> str:
        return AREAS[entry.area].clause

    @extend_schema_field(SubjectSerializer)
    def get_subject(self, entry) -> dict[str, Any]:
        return entry_subject(entry)

    def get_review_due_at(self, entry) -> datetime | None:
        return self.lens.review_due_at(entry)

    def get_stale(self, entry) -> bool:
        due = self.lens.review_due_at(entry)
        return due is not None and due <= self.lens.now

    @extend_schema_field(serializers.ChoiceField(choices=VERDICT_STATUSES, allow_null=True))
    def get_status(self, entry) -> str | None:
        verdict = self.lens.verdict(AREAS[entry.area].clause, entry.subject_key)
        return verdict.status if verdict is not None else None

    def get_problems(self, entry) -> list[str]:
        verdict = self.lens.verdict(AREAS[entry.area].clause, entry.subject_key)
        return [problem.text for problem in verdict.problems] if verdict is not None else []


class ControlEntryFilter(django_filters.FilterSet):
    system = django_filters.CharFilter(method="filter_system", help_text="system id or registry name")
    data_store = django_filters.CharFilter(field_name="data_store__tag", help_text="inventory tag of the data store")
    area = django_filters.ChoiceFilter(choices=AREA_CHOICES)

    class Meta:
        model = ControlEntry
        fields: list[str] = []

    def filter_system(self, queryset, name, value: str):
        match = Q(system__name__iexact=value.strip())
        if value.isascii() and value.isdigit() and len(value) <= 18:
            match |= Q(system_id=int(value))
        return queryset.filter(match)


# --- writes ------------------------------------------------------------------------------------------
class SystemRefField(NaturalKeyField):
    """A system of the registry by registry name (any case) or id."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "name")
        kwargs.setdefault(
            "error_messages", {"does_not_exist": "{value!r} is not an in-scope system of the registry (give its name or id)."}
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        if not isinstance(data, str) or not storable_text(data):
            self.fail("invalid", slug_name="name or id")
        name = data.strip()
        queryset = self.get_queryset()
        assert queryset is not None  # a writable related field: DRF requires its queryset
        system = queryset.filter(name__iexact=name).first()
        if system is None and name.isascii() and name.isdigit() and len(name) <= 18:
            system = queryset.filter(pk=int(name)).first()
        if system is None:
            self.fail("does_not_exist", value=name)
        return system


def has_storable_text(value: Any) -> bool:
    """Every string in a JSON value (keys too) is one the database can store."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return all(has_storable_text(key) and has_storable_text(item) for key, item in value.items())
    if isinstance(value, list):
        return all(has_storable_text(item) for item in value)
    return True


class ControlEntryWriteSerializer(serializers.Serializer):
    """One entry: its subject (``system`` for the system areas, ``data_store`` for ``purpose``),
    the area and the area's values. Saving it is its attestation "as of" that day."""

    # In scope as the registry tells the engine (access_reviews.scope, assets.scope): systems that
    # hold Amazon Information; for the purpose of PII, live data stores that hold PII.
    system = SystemRefField(
        queryset=System.objects.filter(holds_amazon_information=True),
        required=False,
        allow_null=True,
        help_text="the in-scope system's registry name or id",
    )
    data_store = NaturalKeyField(
        slug_field="tag",
        queryset=Asset.objects.filter(kind=AssetKind.DATA_STORE, retired_at__isnull=True, holds_pii=True),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": "{value!r} is not the tag of a live data store holding PII."},
        label="data store",
        help_text="the data store's inventory tag (area purpose only)",
    )
    area = serializers.ChoiceField(choices=AREA_CHOICES)
    owner = UsernameField(
        queryset=owners(), required=False, help_text="username of the security lead or manager who re-attests it; default: the token's user"
    )
    as_of = DayField(required=False, help_text="the day these settings were true; default: today (UTC)")
    evidence_link = serializers.URLField(
        max_length=500, required=False, allow_blank=True, help_text="empty or left out: keep the stored link"
    )
    values = serializers.DictField(help_text="the area's fields by name, e.g. retention_days: 365")
    partial = serializers.BooleanField(default=False, help_text="true: fields left out of values keep their stored value")  # type: ignore[assignment]  # a declared field: DRF's metaclass moves it to _declared_fields, so BaseSerializer.partial stays

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: "is not a field of a control entry" for key in unknown})
        return super().to_internal_value(data)

    def validate_evidence_link(self, value: str) -> str:
        if not storable_text(value):
            raise serializers.ValidationError("Give a link without NUL characters or lone surrogates.")
        return value

    def validate_values(self, value: dict) -> dict:
        if not has_storable_text(value):
            raise serializers.ValidationError("Give text without NUL characters or lone surrogates.")
        return value

    def validate(self, attrs):
        area = AREAS[attrs["area"]]
        system, store = attrs.get("system"), attrs.get("data_store")
        if area.subject == "system":
            if store is not None:
                raise serializers.ValidationError({"data_store": f"{area.title} are recorded per system: give system, not data_store."})
            if system is None:
                raise serializers.ValidationError({"system": f"{area.title} are recorded per system: give the system's name or id."})
            if system.is_portal and area.key in PORTAL_COMPUTED_AREAS:
                raise serializers.ValidationError(
                    {"area": f"The {area.title.lower()} of {system.name} are computed from its own settings and audit trail, not recorded."}
                )
        else:
            if system is not None:
                raise serializers.ValidationError({"system": f"{area.title} is recorded per data store: give data_store, not system."})
            if store is None:
                raise serializers.ValidationError({"data_store": f"{area.title} is recorded per data store: give its inventory tag."})
        return attrs


class ControlBulkSerializer(serializers.Serializer):
    entries = ControlEntryWriteSerializer(many=True, allow_empty=False, max_length=MAX_BULK_ENTRIES)  # type: ignore[call-arg]  # many=True passes max_length to the ListSerializer; the stubs omit it
    dry_run = serializers.BooleanField(default=False, help_text="true: say what would change and write nothing")


class BulkEnvelopeSerializer(serializers.Serializer):
    """The bulk body's shape only: each item is then checked on its own, so that one answer names
    every bad item (``ControlBulkSerializer`` is what the schema shows)."""

    entries = serializers.ListField(allow_empty=False, max_length=MAX_BULK_ENTRIES)
    dry_run = serializers.BooleanField(default=False)


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="the item's index in entries")
    action = serializers.ChoiceField(choices=ACTIONS)
    id = serializers.IntegerField(allow_null=True, help_text="the entry's id; null for one a dry run would create")
    area = serializers.ChoiceField(choices=AREA_CHOICES)
    subject = SubjectSerializer()
    changed = serializers.ListField(child=serializers.CharField(), help_text="names of the fields that change")


class BulkResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    summary = serializers.DictField(child=serializers.IntegerField(), help_text="created, updated, unchanged")
    entries = BulkItemResultSerializer(many=True)


@dataclass
class Planned:
    """One checked entry: what the service will be given, and what it changes."""

    data: dict[str, Any]
    existing: ControlEntry | None
    changed: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "created"
        return "updated" if self.changed else "unchanged"

    @property
    def key(self) -> tuple[str, int | None, int | None]:
        return (self.data["area"], getattr(self.data.get("system"), "pk", None), getattr(self.data.get("data_store"), "pk", None))

    def subject(self) -> dict[str, Any]:
        if self.data.get("system") is not None:
            return {"type": "system", "id": self.data["system"].pk, "name": self.data["system"].name}
        return {"type": "data_store", "id": self.data["data_store"].pk, "name": self.data["data_store"].tag}


def service_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """The service's errors by field, the area's values under ``values.`` (``values.retention_days``)."""
    return {(key if key in ENTRY_KEYS else f"values.{key}"): messages for key, messages in error.message_dict.items()}


def plan_entry(raw: Any, *, user, now: datetime) -> Planned:
    """Check one entry as the service will (no write), or raise a 400 naming each bad field."""
    item = ControlEntryWriteSerializer(data=raw)
    item.is_valid(raise_exception=True)
    data = dict(item.validated_data)
    data.setdefault("owner", user)
    data.setdefault("as_of", now.date())
    data.setdefault("evidence_link", "")
    system, store = data.get("system"), data.get("data_store")
    existing = ControlEntry.objects.filter(area=data["area"], system=system, data_store=store).first()
    base = dict(existing.values) if (data["partial"] and existing is not None) else None
    try:
        values = validate_entry(
            area=data["area"], raw=data["values"], system=system, data_store=store, as_of=data["as_of"], now=now, base=base
        )
    except DjangoValidationError as error:
        raise serializers.ValidationError(service_errors(error)) from None
    planned = Planned(data, existing)
    if existing is not None:
        planned.changed = entry_changes(
            stored_state(existing), values=values, owner_id=data["owner"].pk, as_of=data["as_of"], evidence_link=data["evidence_link"]
        )
    return planned


def save_planned(planned: Planned, *, request, now: datetime) -> ControlEntry:
    data = planned.data
    if planned.action == "unchanged":
        assert planned.existing is not None  # "unchanged" is said of an existing entry only
        return planned.existing  # nothing to record: same values, owner, link and "as of" day
    return control_entry_save(
        area=data["area"],
        raw=data["values"],
        owner=data["owner"],
        as_of=data["as_of"],
        by=request.user,
        now=now,
        system=data.get("system"),
        data_store=data.get("data_store"),
        evidence_link=data["evidence_link"],
        partial=data["partial"],
        request=request,
    )


# --- the clauses' verdicts ------------------------------------------------------------------------------
class ProblemSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[NOT_MET, AT_RISK])
    text = serializers.CharField()


class SubjectVerdictSerializer(serializers.Serializer):
    subject = SubjectSerializer()
    is_portal = serializers.BooleanField()
    status = serializers.ChoiceField(choices=VERDICT_STATUSES)
    missing = serializers.CharField(allow_blank=True, help_text="why it counts as not yet recorded (empty when recorded)")
    problems = ProblemSerializer(many=True)
    computed = serializers.BooleanField(help_text="judged on the portal's settings, computed now (not a recorded entry)")
    entry = serializers.IntegerField(allow_null=True, help_text="id of the subject's own recorded entry for the area, if any")


class ClauseStatusSerializer(serializers.Serializer):
    clause = serializers.CharField()
    area = serializers.ChoiceField(choices=AREA_CHOICES)
    name = serializers.CharField(help_text="the live check of the clause")
    status = serializers.ChoiceField(choices=VERDICT_STATUSES, help_text="the clause over every subject")
    reason = serializers.CharField()
    subjects = SubjectVerdictSerializer(many=True)


class ControlStatusSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    clauses = ClauseStatusSerializer(many=True)


def subject_verdict(verdict: Verdict, facts: RegisterFacts, area: str) -> dict[str, Any]:
    subject: ScopeSubject = verdict.subject
    row = facts.rows.get((subject.key, area))
    return {
        "subject": {"type": subject.kind, "id": subject.pk, "name": subject.name},
        "is_portal": subject.is_portal,
        "status": verdict.status,
        "missing": verdict.missing,
        "problems": [{"status": problem.status, "text": problem.text} for problem in verdict.problems],
        "computed": verdict.entry is not None and verdict.entry.computed,
        "entry": row.pk if row is not None else None,
    }


# --- the endpoints ---------------------------------------------------------------------------------------
class ControlEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Entries of the control register, each with its verdict on its clause now. The portal's own
    identity and logging are computed, not stored: see ``status/``."""

    area = "controls"
    serializer_class = ControlEntrySerializer
    filterset_class = ControlEntryFilter

    def get_queryset(self):
        return entries_queryset()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "lens": RegisterLens(timezone.now())}

    def _written(self, entry_pk: int) -> dict:
        return ControlEntrySerializer(self.get_queryset().get(pk=entry_pk), context=self.get_serializer_context()).data

    @extend_schema(request=ControlEntryWriteSerializer, responses={200: ControlEntrySerializer, 201: ControlEntrySerializer})
    def create(self, request):
        """Record the entry of (subject, area), or update it: 201 when created, 200 otherwise.
        Saving is the attestation: the re-attestation clock restarts from ``as_of``. Without
        ``partial`` every required field of the area must be in ``values``."""
        now = timezone.now()
        planned = plan_entry(request.data, user=request.user, now=now)
        entry = save_planned(planned, request=request, now=now)
        return Response(self._written(entry.pk), status=status.HTTP_201_CREATED if planned.action == "created" else status.HTTP_200_OK)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Remove an entry: the subject is "not yet recorded" again for that area."""
        entry = self.get_object()
        control_entry_delete(entry=entry, by=request.user, now=timezone.now(), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ControlBulkSerializer, responses={200: BulkResultSerializer})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """The infrastructure-as-code feed: record many entries in one transaction. Every item is
        checked first; any bad item is a 400 naming it (``entries.3.values.retention_days``) and
        nothing is written. ``dry_run: true`` says what would be created, updated or unchanged."""
        envelope = BulkEnvelopeSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        now = timezone.now()
        plans: list[Planned] = []
        errors: dict[str, Any] = {}
        seen: dict[tuple, int] = {}
        for index, raw in enumerate(envelope.validated_data["entries"]):
            try:
                planned = plan_entry(raw, user=request.user, now=now)
            except serializers.ValidationError as error:
                errors[str(index)] = error.detail
                continue
            if planned.key in seen:
                errors[str(index)] = [f"the same subject and area as entries.{seen[planned.key]}: send each once"]
                continue
            seen[planned.key] = index
            plans.append(planned)
        if errors:
            raise serializers.ValidationError({"entries": errors})
        dry_run = envelope.validated_data["dry_run"]
        ids: list[int | None] = [planned.existing.pk if planned.existing else None for planned in plans]
        if not dry_run:
            with transaction.atomic():
                for index, planned in enumerate(plans):
                    try:
                        ids[index] = save_planned(planned, request=request, now=now).pk
                    except DjangoValidationError as error:  # changed since it was checked: undo them all
                        raise serializers.ValidationError({"entries": {str(index): service_errors(error)}}) from None
        results = [
            {
                "index": index,
                "action": planned.action,
                "id": ids[index],
                "area": planned.data["area"],
                "subject": planned.subject(),
                "changed": planned.changed,
            }
            for index, planned in enumerate(plans)
        ]
        summary = {name: sum(1 for planned in plans if planned.action == name) for name in ACTIONS}
        return Response({"dry_run": dry_run, "applied": not dry_run, "summary": summary, "entries": results})

    @extend_schema(responses={200: ControlStatusSerializer})
    @action(detail=False, methods=["get"], url_path="status", url_name="status", pagination_class=None, filter_backends=[])
    def register_status(self, request):
        """Each clause judged from the register now, with every in-scope subject's verdict: its
        status, why it counts as not yet recorded, and its problems (the portal's identity and
        logging judged on its own settings)."""
        facts = register_facts(timezone.now())
        clauses = []
        for clause, area in CLAUSE_AREAS.items():
            result = facts.result(clause)
            clauses.append(
                {
                    "clause": clause,
                    "area": area,
                    "name": CHECK_NAMES[clause],
                    "status": result.status,
                    "reason": result.reason,
                    "subjects": [subject_verdict(verdict, facts, area) for verdict in facts.verdicts(clause)],
                }
            )
        return Response({"as_of": facts.now, "clauses": clauses})
