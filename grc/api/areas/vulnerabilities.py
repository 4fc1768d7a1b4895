"""Vulnerability management (DPP 2.7): what scanners and CI pipelines push.

* ``POST /vulnerability-scans/`` — a scan with its findings in one call (``assets.services.vulns``:
  ``scan_record`` restarts the 180-day clock, ``finding_create`` dates each finding by severity).
* ``POST /vulnerability-scans/import/`` — a scanner's own report file (Trivy, Grype, SARIF,
  Nessus, OpenVAS, ZAP, Dependabot, Inspector2), as multipart ``file`` or as the raw body with
  its content type and ``?format=`` (``auto`` by default); ``assets.services.scan_import`` reads
  it, matches targets to assets and updates findings by fingerprint (re-sending adds nothing).
* ``POST /findings/`` and ``POST /findings/{id}/resolve/`` — one finding; fixed or risk accepted.
* ``POST /release-scans/`` — a release and its code scan (due before the release date), and
  ``POST /release-scans/{id}/result/`` — the scan result of a planned release.

Read by the lead, managers and auditors; written by the security lead's tokens
(``vulnerabilities:write``).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, cast

import django_filters
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from assets.files import scan_import_max_bytes
from assets.forms.inventory import owner_choices
from assets.models import Asset, Finding, FindingStatus, ReleaseScan, ScanResult, Severity, VulnerabilityScan
from assets.scanners import FORMATS
from assets.selectors import findings_for_list, release_scans_for_list, vulnerability_scans_for_list
from assets.services import vulns
from assets.services.scan_import import scan_import, scan_push
from grc.api.base import ApiModelSerializer, ApiViewSet, CountField, IdFilter, MomentField, NaturalKeyField, UsernameField
from grc.api.errors import BodyTooLarge
from grc.api.parsers import RawBodyParser, check_file_body_size

if TYPE_CHECKING:
    from grc.accounts.models import User

COUNT_FIELDS = ["critical_count", "high_count", "medium_count", "low_count"]
MAX_FINDINGS_PER_CALL = 5000


def active_assets():
    return Asset.objects.filter(retired_at__isnull=True)


class AssetTagsField(NaturalKeyField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="tag", queryset=active_assets(), **kwargs)


# --- reads ----------------------------------------------------------------------------------
class FindingSerializer(ApiModelSerializer):
    asset: serializers.SlugRelatedField[Asset] = serializers.SlugRelatedField(slug_field="tag", read_only=True, allow_null=True)
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "id",
            "title",
            "reference",
            "severity",
            "asset",
            "owner",
            "found_at",
            "due_at",
            "status",
            "is_overdue",
            "resolved_at",
            "scan",
            "pentest",
            "release_scan",
            "created_at",
            "fingerprint",
            "tool",
            "target",
            "package",
            "location",
            "clause",
            "last_seen_scan",
            "fixed_by_scan",
        ]
        read_only_fields = fields

    def get_is_overdue(self, finding) -> bool:
        return finding.is_overdue(self.context.get("now") or timezone.now())


class ScanSerializer(ApiModelSerializer):
    assets: serializers.SlugRelatedField[Asset] = serializers.SlugRelatedField(slug_field="tag", many=True, read_only=True)
    recorded_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    finding_ids = serializers.SerializerMethodField()

    class Meta:
        model = VulnerabilityScan
        fields = [
            "id",
            "performed_at",
            "tool",
            "scope",
            "assets",
            *COUNT_FIELDS,
            "info_count",
            "format",
            "full_scope",
            "unmatched_targets",
            "report_sha256",
            "recorded_by",
            "recorded_at",
            "finding_ids",
        ]
        read_only_fields = fields

    def get_finding_ids(self, scan) -> list[int]:
        return [finding.pk for finding in scan.findings.all()]


class ReleaseScanSerializer(ApiModelSerializer):
    asset: serializers.SlugRelatedField[Asset] = serializers.SlugRelatedField(slug_field="tag", read_only=True, allow_null=True)
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    scanned_before_release = serializers.BooleanField(read_only=True)

    class Meta:
        model = ReleaseScan
        fields = [
            "id",
            "release_name",
            "version",
            "release_date",
            "asset",
            "owner",
            "scanned_at",
            "tool",
            "result",
            "blocking_findings",
            "scanned_before_release",
            "report_sha256",
            "created_at",
        ]
        read_only_fields = fields


# --- writes ---------------------------------------------------------------------------------
class FindingInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True, help_text="CVE or the tool's id")
    severity = serializers.ChoiceField(choices=Severity.choices)
    asset = AssetTagsField(required=False, allow_null=True, help_text="tag of the affected asset")
    owner = UsernameField(queryset=owner_choices(), required=False, help_text="username of who fixes it (default: the token's user)")
    found_at = MomentField(required=False, help_text="default: the scan's time (or now)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(UsernameField, self.fields["owner"]).queryset = owner_choices()


class FindingCreateSerializer(FindingInputSerializer):
    scan = serializers.PrimaryKeyRelatedField(queryset=VulnerabilityScan.objects.all(), required=False, allow_null=True)
    release_scan = serializers.PrimaryKeyRelatedField(queryset=ReleaseScan.objects.all(), required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("scan") and attrs.get("release_scan"):
            raise serializers.ValidationError({"release_scan": "A finding comes from one scan: give scan or release_scan."})
        return attrs


class ScanCreateSerializer(serializers.Serializer):
    performed_at = MomentField(help_text="when the scan ran (not in the future)")
    tool = serializers.CharField(max_length=120)
    scope = serializers.CharField(max_length=5000, help_text="networks, hosts or services scanned")
    assets = AssetTagsField(many=True, required=False, help_text="tags of the inventory assets in scope")
    critical_count = CountField(required=False, help_text="default: counted from findings")
    high_count = CountField(required=False)
    medium_count = CountField(required=False)
    low_count = CountField(required=False)
    findings = FindingInputSerializer(many=True, required=False, max_length=MAX_FINDINGS_PER_CALL)


class ResolveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[FindingStatus.FIXED, FindingStatus.ACCEPTED])
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="", help_text="required for accepted")


class ReleaseResultSerializer(serializers.Serializer):
    scanned_at = MomentField()
    tool = serializers.CharField(max_length=120)
    result = serializers.ChoiceField(choices=[ScanResult.PASS, ScanResult.FAIL])
    blocking_findings = CountField(required=False, default=0)


class ReleaseCreateSerializer(serializers.Serializer):
    release_name = serializers.CharField(max_length=120)
    version = serializers.CharField(max_length=60)
    release_date = MomentField(help_text="the code scan is due before this moment")
    asset = AssetTagsField(required=False, allow_null=True)
    owner = UsernameField(queryset=owner_choices(), required=False, help_text="default: the token's user")
    result = serializers.ChoiceField(choices=ScanResult.choices, default=ScanResult.PENDING, help_text="pending: plan the release")
    scanned_at = MomentField(required=False, allow_null=True)
    tool = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    blocking_findings = CountField(required=False, default=0)
    findings = FindingInputSerializer(many=True, required=False, max_length=MAX_FINDINGS_PER_CALL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(UsernameField, self.fields["owner"]).queryset = owner_choices()


def finding_data(item: dict, *, source: dict, default_found_at, by) -> dict:
    return {
        "title": item["title"],
        "reference": item.get("reference", ""),
        "severity": item["severity"],
        "asset": item.get("asset"),
        "owner": item.get("owner") or by,
        "found_at": item.get("found_at") or default_found_at,
        **source,
    }


# --- scanner report import ---------------------------------------------------------------------
RAW_REPORT_TYPES = ("application/json", "application/sarif+json", "application/xml", "text/xml", "text/csv", "application/octet-stream")
FORMAT_CHOICES = ["auto", *FORMATS]


def report_too_large(length: int | None = None) -> Exception:
    size = f"The upload has {length} bytes; r" if length is not None else "R"
    return BodyTooLarge(f"{size}eports up to {scan_import_max_bytes()} bytes are accepted (SCAN_IMPORT_MAX_BYTES).")


def check_report_body_size(request) -> None:
    """The import's body check: reports up to ``SCAN_IMPORT_MAX_BYTES``, not the API's JSON limit."""
    check_file_body_size(request, limit=scan_import_max_bytes(), too_large=report_too_large)


class RawReportParser(RawBodyParser):
    """The body as the scanner wrote it, up to ``SCAN_IMPORT_MAX_BYTES``: parsing is the report
    parser's job (``assets.scanners``). Used by the import action only."""

    media_type = "*/*"

    def max_bytes(self) -> int:
        return scan_import_max_bytes()

    def too_large(self) -> Exception:
        return report_too_large()


class ImportNegotiation(DefaultContentNegotiation):
    """``?format=`` names the report's format on the import, not the response's (DRF reads it as
    a renderer override and would 404 on ``trivy``): the answer is always JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ImportMultipartSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the report file as the scanner wrote it")
    format = serializers.ChoiceField(choices=FORMAT_CHOICES, default="auto", help_text="a parser key, or auto to detect it")
    scope = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, help_text="targets, one a line (default: the report's)"
    )
    full_scope = serializers.BooleanField(default=False, help_text="the scan covered the whole scope: absent findings are fixed")
    assets = serializers.ListField(child=serializers.CharField(max_length=40), required=False, help_text="tags of assets in scope")


class ImportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=FORMAT_CHOICES, default="auto")
    scope = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    full_scope = serializers.BooleanField(default=False)
    assets = serializers.CharField(max_length=2000, required=False, allow_blank=True, help_text="asset tags, comma-separated")
    filename = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ImportSummarySerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    reopened = serializers.IntegerField()
    closed_fixed = serializers.IntegerField()
    informational = serializers.IntegerField()
    severity_changed = serializers.IntegerField()
    unmatched_targets = serializers.ListField(child=serializers.CharField())
    already_imported = serializers.BooleanField()


class ImportResultSerializer(serializers.Serializer):
    scan = ScanSerializer()
    summary = ImportSummarySerializer()


def _asset_tags(tags: list[str]) -> list[Asset]:
    tags = [tag.strip() for tag in tags if tag.strip()]
    found = {asset.tag: asset for asset in active_assets().filter(tag__in=tags)}
    missing = [tag for tag in tags if tag not in found]
    if missing:
        raise serializers.ValidationError({"assets": f"No active asset has the tag(s): {', '.join(missing[:10])}."})
    return [found[tag] for tag in tags]


# --- viewsets -------------------------------------------------------------------------------
class ScanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Vulnerability scans (every 180 days, DPP 2.7)."""

    area = "vulnerabilities"
    serializer_class = ScanSerializer
    filterset_fields = ["tool"]
    cursor_ordering = "pk"

    def get_queryset(self):
        return vulnerability_scans_for_list()

    @extend_schema(request=ScanCreateSerializer, responses={201: ScanSerializer, 200: ScanSerializer})
    def create(self, request):
        """Push a scan result: the scan and its findings in one call, all or nothing. Counts not
        given are counted from the findings. Idempotent: the same body again is a 200 with the scan
        already recorded, and a finding already open (same tool, reference or title, asset) is
        updated rather than added again."""
        data = ScanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        findings = values.pop("findings", [])
        assets = values.pop("assets", [])
        counted = Counter(item["severity"] for item in findings)
        for severity in Severity.values:
            values.setdefault(f"{severity}_count", counted.get(severity, 0))
        now = timezone.now()
        # the body as the portal received it, kept as the scan's report (its SHA-256 in the evidence pack)
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str).encode()
        items = [finding_data(item, source={}, default_found_at=values["performed_at"], by=request.user) for item in findings]
        scan, created = scan_push(data=values, findings=items, assets=assets, body=body, by=request.user, now=now, request=request)
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ScanSerializer(self.get_queryset().get(pk=scan.pk)).data, status=answer)

    @extend_schema(
        operation_id="vulnerability_scans_import",
        request={
            "multipart/form-data": ImportMultipartSerializer,
            **{media: OpenApiTypes.BINARY for media in RAW_REPORT_TYPES},
        },
        parameters=[
            OpenApiParameter("format", str, enum=FORMAT_CHOICES, description="raw body: the report format (default auto)"),
            OpenApiParameter("scope", str, description="raw body: targets scanned, one a line (default: the report's)"),
            OpenApiParameter("full_scope", bool, description="raw body: the scan covered the whole scope"),
            OpenApiParameter("assets", str, description="raw body: asset tags in scope, comma-separated"),
            OpenApiParameter("filename", str, description="raw body: the report's file name, kept with it"),
        ],
        responses={201: ImportResultSerializer, 200: ImportResultSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, RawReportParser],
        content_negotiation_class=ImportNegotiation,
        body_check=check_report_body_size,
    )
    def import_report(self, request):
        """Import a scanner's report file: the scan, its findings (matched to assets by tag, host
        name or URL; the rest listed in ``unmatched_targets``), updated by fingerprint when seen
        before. The same file again adds nothing (200). All or nothing: a file that cannot be read
        as the chosen format is a 400 and nothing is written."""
        media = (request.content_type or "").split(";", 1)[0].strip().lower()
        if media == "multipart/form-data":
            form = ImportMultipartSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            values = dict(form.validated_data)
            upload = values.pop("file")
            if upload.size > scan_import_max_bytes():
                raise report_too_large(upload.size)
            data, filename, tags = upload.read(), upload.name, values.get("assets") or []
        elif media in RAW_REPORT_TYPES:
            query = ImportQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            values = dict(query.validated_data)
            data, filename = request.data, values.get("filename") or ""
            tags = (values.get("assets") or "").split(",")
        else:
            raise exceptions.UnsupportedMediaType(
                media[:60],
                detail=f"Send the report as multipart/form-data (field file) or as the body with one of {', '.join(RAW_REPORT_TYPES)}.",
            )
        if not isinstance(data, bytes) or not data:
            raise serializers.ValidationError({"file": "The report is empty."})
        # a file the parser refuses is a Django ValidationError: the API's handler makes it a JSON 400 on ``file``
        scan, summary = scan_import(
            data=data,
            filename=filename,
            format=values["format"],
            scope=values.get("scope") or None,
            full_scope=values["full_scope"],
            assets=_asset_tags(tags),
            by=request.user,
            now=timezone.now(),
            request=request,
        )
        body = {"scan": ScanSerializer(self.get_queryset().get(pk=scan.pk)).data, "summary": summary.as_dict()}
        return Response(body, status=status.HTTP_200_OK if summary.already_imported else status.HTTP_201_CREATED)


class FindingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=[("overdue", "overdue"), *FindingStatus.choices], method="filter_status")
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    owner = django_filters.CharFilter(field_name="owner__username")
    asset = django_filters.CharFilter(field_name="asset__tag", help_text="asset tag")
    scan = IdFilter(field_name="scan_id")
    release_scan = IdFilter(field_name="release_scan_id")
    reference = django_filters.CharFilter()

    class Meta:
        model = Finding
        fields: list[str] = []

    def filter_status(self, queryset, name, value):
        if value == "overdue":
            return queryset.filter(status=FindingStatus.OPEN, due_at__lte=timezone.now())
        return queryset.filter(status=value)


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Findings to remediate, due by severity (critical 15 days … low 180 by default)."""

    area = "vulnerabilities"
    serializer_class = FindingSerializer
    filterset_class = FindingFilter

    def get_queryset(self):
        return findings_for_list()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(request=FindingCreateSerializer, responses={201: FindingSerializer})
    def create(self, request):
        """Record one finding (optionally of a scan or a release scan)."""
        data = FindingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        source = {key: values[key] for key in ("scan", "release_scan") if values.get(key)}
        default = source["scan"].performed_at if "scan" in source else timezone.now()
        finding = vulns.finding_create(
            data=finding_data(values, source=source, default_found_at=default, by=request.user),
            by=request.user,
            now=timezone.now(),
            request=request,
        )
        return Response(FindingSerializer(finding, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResolveSerializer, responses={200: FindingSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Mark the finding fixed (its obligation is met) or its risk accepted (with the reason)."""
        finding = self.get_object()
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = vulns.finding_resolve(
            finding=finding,
            status=data.validated_data["status"],
            note=data.validated_data["note"],
            by=request.user,
            now=timezone.now(),
            request=request,
        )
        return Response(FindingSerializer(self.get_queryset().get(pk=finding.pk), context=self.get_serializer_context()).data)


class ReleaseScanFilter(django_filters.FilterSet):
    release_name = django_filters.CharFilter()
    version = django_filters.CharFilter()
    result = django_filters.ChoiceFilter(choices=ScanResult.choices)

    class Meta:
        model = ReleaseScan
        fields: list[str] = []


class ReleaseScanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Releases and their code scans (before each release, DPP 2.7)."""

    area = "vulnerabilities"
    serializer_class = ReleaseScanSerializer
    filterset_class = ReleaseScanFilter

    def get_queryset(self):
        return release_scans_for_list()

    @extend_schema(request=ReleaseCreateSerializer, responses={201: ReleaseScanSerializer})
    def create(self, request):
        """Record a release: planned (``result: pending``, its scan then due at the release date) or
        already scanned (pass/fail with ``scanned_at``, ``tool``), with any findings."""
        data = ReleaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        findings = values.pop("findings", [])
        values.setdefault("owner", request.user)
        values.setdefault("asset", None)
        now = timezone.now()
        with transaction.atomic():
            release = vulns.release_create(data=values, by=request.user, now=now, request=request)
            for item in findings:
                found = release.scanned_at or now
                finding_values = finding_data(item, source={"release_scan": release}, default_found_at=found, by=request.user)
                vulns.finding_create(data=finding_values, by=request.user, now=now, request=request)
        return Response(ReleaseScanSerializer(release).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReleaseResultSerializer, responses={200: ReleaseScanSerializer})
    @action(detail=True, methods=["post"])
    def result(self, request, pk=None):
        """Record the code scan of a planned release: when, with what tool, pass or fail."""
        release = self.get_object()
        data = ReleaseResultSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        release = vulns.release_record_result(
            release=release, data=dict(data.validated_data), by=request.user, now=timezone.now(), request=request
        )
        return Response(ReleaseScanSerializer(self.get_queryset().get(pk=release.pk)).data)
