"""Forms of vulnerability management: scans, penetration tests, release scans and findings."""

from __future__ import annotations

import codecs
from pathlib import PurePath
from typing import cast

from django import forms

from assets.files import ALLOWED_REPORT_EXTENSIONS, check_report, scan_import_max_bytes
from assets.forms.inventory import TEXTAREA, UserChoiceField, owner_choices
from assets.models import Asset, Finding, FindingStatus, PenetrationTest, ReleaseScan, ScanResult, VulnerabilityScan
from assets.scanners import FORMATS, ScanFormatError, detect_format
from grc.files import content_matches
from grc.forms import DateTimeInput, StyledForm, StyledModelForm

COUNT_FIELDS = ["critical_count", "high_count", "medium_count", "low_count"]


class AssetChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Asset) -> str:
        return f"{obj.tag} {obj.name}"


def active_assets():
    return Asset.objects.filter(retired_at__isnull=True).order_by("tag")


class ReportField(forms.FileField):
    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            check_report(upload)
        return upload


class ScanForm(StyledModelForm):
    report_file = ReportField(
        required=False,
        label="Report",
        help_text="The scanner's report (PDF, HTML, CSV, JSON, XML, SARIF, .nessus, ZIP), kept as evidence. To read its findings "
        "from a Trivy, Grype, SARIF, Nessus, OpenVAS, ZAP, Dependabot or Inspector report, use “Import a scanner report” instead.",
    )

    class Meta:
        model = VulnerabilityScan
        fields = ["performed_at", "tool", "scope", "assets", *COUNT_FIELDS]
        field_classes = {"assets": AssetChoices}
        widgets = {
            "performed_at": DateTimeInput(),
            "scope": forms.Textarea(attrs=TEXTAREA),
            "assets": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {"assets": "The inventory assets in scope (hold Ctrl / Cmd to pick several)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assets"]).queryset = active_assets()
        self.fields["assets"].required = False


class PentestForm(StyledModelForm):
    report_file = ReportField(required=False, label="Report")

    class Meta:
        model = PenetrationTest
        fields = ["performed_at", "tester", "scope", "assets", *COUNT_FIELDS, "summary"]
        field_classes = {"assets": AssetChoices}
        widgets = {
            "performed_at": DateTimeInput(),
            "scope": forms.Textarea(attrs=TEXTAREA),
            "summary": forms.Textarea(attrs=TEXTAREA),
            "assets": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assets"]).queryset = active_assets()
        self.fields["assets"].required = False


class ReleaseForm(StyledModelForm):
    report_file = ReportField(required=False, label="Scan report")

    class Meta:
        model = ReleaseScan
        fields = ["release_name", "version", "release_date", "asset", "owner", "result", "scanned_at", "tool", "blocking_findings"]
        field_classes = {"owner": UserChoiceField}
        widgets = {"release_date": DateTimeInput(), "scanned_at": DateTimeInput()}
        help_texts = {"result": "Leave “not scanned yet” to plan the release: the scan is then due before the release date."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = owner_choices()
        cast(forms.ModelChoiceField, self.fields["asset"]).queryset = Asset.objects.filter(
            retired_at__isnull=True, kind__in=["software", "endpoint"]
        ).order_by("tag")
        self.fields["asset"].required = False


class ReleaseResultForm(StyledModelForm):
    report_file = ReportField(required=False, label="Scan report")

    class Meta:
        model = ReleaseScan
        fields = ["scanned_at", "tool", "result", "blocking_findings"]
        widgets = {"scanned_at": DateTimeInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["result"]).choices = [(v, label) for v, label in ScanResult.choices if v != ScanResult.PENDING]
        self.fields["scanned_at"].required = True
        self.fields["tool"].required = True


class FindingForm(StyledModelForm):
    class Meta:
        model = Finding
        fields = ["title", "reference", "severity", "asset", "owner", "found_at"]
        field_classes = {"owner": UserChoiceField}
        widgets = {"found_at": DateTimeInput()}
        help_texts = {"severity": "Sets the due date (critical 15 days, high 30, medium 90, low 180 by default)."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = owner_choices()
        cast(forms.ModelChoiceField, self.fields["asset"]).queryset = Asset.objects.filter(retired_at__isnull=True).order_by("tag")
        # the per-form label hook Django's docs show; mypy refuses assigning to a method
        cast(forms.ModelChoiceField, self.fields["asset"]).label_from_instance = lambda obj: f"{obj.tag} {obj.name}"  # type: ignore[method-assign]


class FindingResolveForm(StyledForm):
    status = forms.ChoiceField(
        choices=[(FindingStatus.FIXED, "Fixed"), (FindingStatus.ACCEPTED, "Risk accepted")], widget=forms.RadioSelect, label="Outcome"
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="How it was fixed, or why the risk is accepted (required then)."
    )


class ReportUploadForm(StyledForm):
    report_file = ReportField(label="Report")


class ScanImportForm(StyledForm):
    """A scanner's own report: the portal reads its findings (``assets.services.scan_import``)."""

    file = forms.FileField(label="Report file", help_text="As the scanner wrote it (JSON, SARIF, .nessus, XML or CSV).")
    format = forms.ChoiceField(
        label="Format",
        initial="auto",
        help_text="Leave “detect” unless the file is refused as unrecognised.",
    )
    scope = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Targets scanned, one a line. Empty: the targets the report names. Scans with the same scope are compared.",
    )
    full_scope = forms.BooleanField(
        required=False,
        label="This scan covered the whole scope",
        help_text="Open findings of earlier scans of this tool and scope that it no longer reports are closed as fixed.",
    )
    assets = AssetChoices(queryset=Asset.objects.none(), required=False, widget=forms.SelectMultiple(attrs={"size": 6}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("auto", "Detect from the file"), *((key, label) for key, (label, _module, _how) in FORMATS.items())]
        cast(forms.ChoiceField, self.fields["format"]).choices = choices
        cast(forms.ModelChoiceField, self.fields["assets"]).queryset = active_assets()
        self.fields["assets"].help_text = "Also link these assets (targets are matched by tag, host name or URL)."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = scan_import_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(f"The report is larger than {limit // (1024 * 1024)} MB: split the scan or export fewer targets.")
        extension = PurePath(upload.name).suffix.lower()
        if extension not in IMPORT_EXTENSIONS:
            raise forms.ValidationError(f"Upload the report as the scanner wrote it: one of {', '.join(sorted(IMPORT_EXTENSIONS))}.")
        if not content_matches(upload, extension):
            raise forms.ValidationError(f"The file's content is not a {extension[1:].upper()} file.")
        return upload

    def clean(self):
        """The cheap sniff of the format (the full parse runs in the worker, ``scan_import_jobs``):
        a file of no known format, or not of the chosen one, is refused here, next to the field."""
        cleaned = super().clean() or {}
        upload, chosen = cleaned.get("file"), cleaned.get("format")
        if upload is None or not chosen:
            return cleaned
        sample = sniff_sample(upload)
        try:
            if chosen == "auto":
                detect_format(sample)
            elif not FORMATS[chosen][1].looks_like(sample):
                label = FORMATS[chosen][0]
                self.add_error("file", f"This file does not look like a {label} report: choose “Detect from the file” or another format.")
        except ScanFormatError as error:
            self.add_error("file", str(error))
        return cleaned


# what a scanner writes (a PDF, HTML or spreadsheet report has no findings the parsers read)
IMPORT_EXTENSIONS = ALLOWED_REPORT_EXTENSIONS - {".pdf", ".zip", ".xlsx", ".html", ".htm"}
SNIFF_HEAD, SNIFF_TAIL = 65536, 4096  # what the parsers' ``looks_like`` read at most (openvas: 64 KB; grype: the tail)


def sniff_sample(upload) -> bytes:
    """The start and the end of the upload, as the parsers' ``looks_like`` read them, without
    reading a 50 MB file into memory; UTF-16 text (PowerShell's ``>``) as UTF-8, as ``parse`` does."""
    upload.seek(0)
    head = upload.read(SNIFF_HEAD)
    tail = b""
    if upload.size > SNIFF_HEAD + SNIFF_TAIL:
        upload.seek(upload.size - SNIFF_TAIL)
        tail = b"\n" + upload.read(SNIFF_TAIL)
    elif upload.size > SNIFF_HEAD:
        tail = upload.read()
    upload.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="ignore").encode("utf-8")
    return head + tail


class TargetAssignForm(StyledForm):
    """The asset an unmatched target of an imported scan is."""

    target = forms.CharField(widget=forms.HiddenInput, max_length=300)
    asset = forms.ModelChoiceField(queryset=Asset.objects.none(), label="Asset")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["asset"])
        field.queryset = active_assets()
        # the per-form label hook Django's docs show; mypy refuses assigning to a method
        field.label_from_instance = lambda obj: f"{obj.tag} {obj.name}"  # type: ignore[method-assign]
