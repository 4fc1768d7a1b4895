"""Where a risk was raised from: an incident, an access-review finding (a flagged account), an
asset flag or a vulnerability finding. The link is kept as a type and an id on the risk, so the
register never joins another app's tables; the record is looked up by its model label only when a
risk's page or form needs it (``django.apps``, no import of the other apps' internals).

Other apps link to ``risks:create`` with ``?source=<type>:<id>``, e.g. ``?source=incident:12``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.urls import reverse

from grc.risks.models import SourceType


@dataclass(frozen=True)
class SourceKind:
    type: str
    label: str
    model: str  # app_label.ModelName
    url_name: str
    clauses: tuple[str, ...]  # DPP clauses a risk from such a record usually touches

    def url(self, pk: int) -> str:
        return reverse(self.url_name, args=[pk])

    def reference(self, pk: int) -> str:
        return f"INC-{pk:04d}" if self.type == SourceType.INCIDENT else f"#{pk}"


KINDS: dict[str, SourceKind] = {
    SourceType.INCIDENT: SourceKind(SourceType.INCIDENT, "Incident", "incidents.Incident", "incidents:detail", ("1.6",)),
    SourceType.ACCESS_FINDING: SourceKind(
        SourceType.ACCESS_FINDING, "Access-review finding", "access_reviews.Account", "access_reviews:account_detail", ("1.2", "1.3")
    ),
    SourceType.ASSET_FLAG: SourceKind(SourceType.ASSET_FLAG, "Asset flag", "assets.Asset", "assets:detail", ("2.3",)),
    SourceType.VULNERABILITY: SourceKind(
        SourceType.VULNERABILITY, "Vulnerability finding", "assets.Finding", "assets:finding_detail", ("2.7",)
    ),
}


def parse_source(value: str | None) -> tuple[str, int] | None:
    """``"incident:12"`` → ``("incident", 12)``; anything else → None."""
    kind, _, pk = (value or "").partition(":")
    if kind not in KINDS or not pk.isdigit() or int(pk) <= 0:
        return None
    return kind, int(pk)


def source_object(kind: str, pk: int | None):
    """The record a risk was raised from, or None when it is gone (or the kind is unknown)."""
    source = KINDS.get(kind)
    if source is None or pk is None:
        return None
    return apps.get_model(source.model).objects.filter(pk=pk).first()


def source_label(kind: str, pk: int | None, obj=None) -> str:
    source = KINDS.get(kind)
    if source is None or pk is None:
        return ""
    if obj is not None and source.type != SourceType.ACCESS_FINDING:
        return f"{source.label} {obj}"
    return f"{source.label} {source.reference(pk)}"


def source_url(kind: str, pk: int | None) -> str:
    source = KINDS.get(kind)
    return source.url(pk) if source is not None and pk is not None else ""


def prefill(kind: str, obj) -> dict:
    """Initial form values for a risk raised from ``obj``: the assets and systems it involves and
    the clauses such a record touches (the person raising the risk writes the rest)."""
    source = KINDS[kind]
    initial: dict = {"clauses": list(source.clauses), "source": f"{kind}:{obj.pk}"}
    if kind == SourceType.INCIDENT:
        initial["affected_assets"] = list(obj.assets.values_list("pk", flat=True))
        initial["affected_systems"] = list(obj.systems.values_list("pk", flat=True))
    elif kind == SourceType.ACCESS_FINDING:
        initial["affected_systems"] = [obj.system_id]
        if getattr(obj, "flag_no_mfa", False):
            initial["clauses"].append("1.4")
    elif kind == SourceType.ASSET_FLAG:
        initial["affected_assets"] = [obj.pk]
    elif kind == SourceType.VULNERABILITY:
        initial["title"] = obj.title
        if obj.asset_id:
            initial["affected_assets"] = [obj.asset_id]
    return initial
