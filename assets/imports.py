"""CSV import and export of the asset inventory (DPP 2.3), with ``grc.csvio``'s rules:

* every row is checked first and each bad row is reported by its line number;
* the preview lists the assets to add and to change (with the changed field names) — an import
  never retires assets missing from the file;
* nothing is written unless every row is good, or the user chose "import the good rows";
* apply re-reads the file: if the inventory changed since the preview, nothing is written and the
  new preview is shown instead.

Rows match existing assets on the asset id (``tag``). Columns are the model's field names; a
column left out keeps the current value; cells of fields that do not belong to the row's kind
are ignored. The export writes the same columns (plus a read-only ``flags`` column), so an
exported file can be edited and imported back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.dateparse import parse_date

from assets.flags import asset_flags, limits_from_settings
from assets.kinds import ALL_KIND_FIELDS, COMMON_FIELDS, KIND_FIELDS, STORE_FIELDS
from assets.models import Asset, AssetImport, AssetKind, DataStore, ImportStatus
from assets.services.inventory import apply_flags, asset_problems, retention_obligation_sync
from assets.services.programme import programme_obligations_ensure
from grc.accounts.models import Role, User
from grc.audit.services import record_event
from grc.csvio import CsvFileError, CsvRow, RowError, read_csv

ASSET_COLUMNS = ("tag", "name", "kind", *[f for f in COMMON_FIELDS if f not in ("tag", "name")], *ALL_KIND_FIELDS)
COLUMNS = (*ASSET_COLUMNS, *STORE_FIELDS)
READ_ONLY_COLUMNS = ("flags",)
REQUIRED_COLUMNS = ("tag", "name", "kind", "owner")
TRUE_WORDS = {"yes", "y", "true", "t", "1"}
FALSE_WORDS = {"no", "n", "false", "f", "0", ""}
PREVIEW_ROWS = 200


class CellError(ValueError):
    pass


@dataclass
class PlannedRow:
    line: int
    tag: str
    kind: str
    values: dict[str, Any]
    store_values: dict[str, Any]
    pk: int | None = None
    changed: list[str] = field(default_factory=list)


@dataclass
class Plan:
    adds: list[PlannedRow] = field(default_factory=list)
    changes: list[PlannedRow] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        bad_lines = {error.line for error in self.errors}
        return {"adds": len(self.adds), "changes": len(self.changes), "unchanged": self.unchanged, "bad": len(bad_lines)}


# --- reading cells ---------------------------------------------------------------------------
def _read_cell(model_field: models.Field, raw: str, column: str) -> Any:
    text = raw.strip()
    if isinstance(model_field, models.BooleanField):
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError(f"{column} must be yes or no")
    if isinstance(model_field, models.DateField):
        if not text:
            return None
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            raise CellError(f"{column} must be a date like 2026-11-02")
        return day
    if isinstance(model_field, models.PositiveIntegerField):
        if not text:
            return None
        if not text.isdigit():
            raise CellError(f"{column} must be a whole number")
        return int(text)
    if model_field.choices:
        if not text:
            if model_field.blank:
                return ""
            raise CellError(f"{column} is required")
        for value, label in model_field.choices:
            if text.lower() in (str(value).lower(), str(label).lower()):
                return value
        raise CellError(f"{column} must be one of {', '.join(str(value) for value, _label in model_field.choices)}")
    max_length = getattr(model_field, "max_length", None)
    if max_length and len(text) > max_length:
        raise CellError(f"{column} is longer than {max_length} characters")
    return text


def header_problems(header: list[str]) -> list[str]:
    known = set(COLUMNS) | set(READ_ONLY_COLUMNS)
    problems = []
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        problems.append(f"The file needs the columns {', '.join(missing)} (download the template to see every column).")
    unknown = [column for column in header if column and column not in known]
    if unknown:
        problems.append(f"Unknown columns: {', '.join(unknown[:10])}. Use the column names of the template.")
    return problems


def _owners() -> dict[str, User]:
    return {user.username.lower(): user for user in User.objects.filter(is_active=True).exclude(role=Role.AUDITOR)}


def _row_values(row: CsvRow, kind: str, owners: dict[str, User]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The asset and store values a row gives (only the columns present), and its cell errors."""
    values: dict[str, Any] = {}
    store_values: dict[str, Any] = {}
    errors: list[str] = []
    mine = set(COMMON_FIELDS) | set(KIND_FIELDS.get(kind, ()))
    for column, raw in row.values.items():
        if column in ("kind", *READ_ONLY_COLUMNS):
            continue
        try:
            if column == "owner":
                user = owners.get(raw.strip().lower())
                if user is None:
                    raise CellError("owner must be the username of an active portal user (not an auditor)")
                values["owner"] = user
            elif column in STORE_FIELDS:
                if kind == AssetKind.DATA_STORE:
                    store_values[column] = _read_cell(cast(models.Field, DataStore._meta.get_field(column)), raw, column)
            elif column in mine:
                values[column] = _read_cell(cast(models.Field, Asset._meta.get_field(column)), raw, column)
        except CellError as error:
            errors.append(str(error))
    for required in ("tag", "name"):
        if required in values and not values[required]:
            errors.append(f"{required} is empty")
    if kind == AssetKind.DATA_STORE and "store_type" in store_values and not store_values["store_type"]:
        store_values.pop("store_type")
    if "attribution" in store_values and not store_values["attribution"]:
        store_values.pop("attribution")
    return values, store_values, errors


def plan_import(rows: list[CsvRow]) -> Plan:
    """Check every row against the inventory as it is now (a fixed number of queries)."""
    plan = Plan()
    owners = _owners()
    tags = [row.values.get("tag", "").strip() for row in rows]
    existing = {asset.tag: asset for asset in Asset.objects.filter(tag__in=[t for t in tags if t]).select_related("data_store", "owner")}
    lowered = {tag.lower(): tag for tag in Asset.objects.values_list("tag", flat=True)}
    seen: dict[str, int] = {}
    for row in rows:
        tag = row.values.get("tag", "").strip()
        kind_text = row.values.get("kind", "").strip().lower()
        kind = next((value for value, label in AssetKind.choices if kind_text in (value, label.lower())), None)
        if not tag:
            plan.errors.append(RowError(row.line, "tag (asset id) is empty"))
            continue
        if tag.lower() in seen:
            plan.errors.append(RowError(row.line, f"asset id {tag} appears again (first on line {seen[tag.lower()]})"))
            continue
        seen[tag.lower()] = row.line
        if kind is None:
            plan.errors.append(RowError(row.line, f"kind must be one of {', '.join(AssetKind.values)}"))
            continue
        values, store_values, errors = _row_values(row, kind, owners)
        current = existing.get(tag)
        if current is None and tag.lower() in lowered:
            errors.append(f"asset id {tag} differs only in capitals from the existing {lowered[tag.lower()]}")
        if current is not None and current.kind != kind:
            errors.append(f"kind cannot change (asset {tag} is a {AssetKind(current.kind).label.lower()})")
        if errors:
            plan.errors.append(RowError(row.line, "; ".join(errors)))
            continue
        candidate = _candidate(current, kind, values)
        problems = asset_problems(candidate)
        if candidate.owner_id is None:
            problems["owner"] = "owner is required for a new asset"
        if problems:
            plan.errors.append(RowError(row.line, "; ".join(f"{name}: {message}" for name, message in problems.items())))
            continue
        planned = PlannedRow(line=row.line, tag=tag, kind=kind, values=values, store_values=store_values)
        if current is None:
            plan.adds.append(planned)
            continue
        planned.pk = current.pk
        planned.changed = [name for name, value in values.items() if getattr(current, name) != value]
        store = current.store
        planned.changed += [name for name, value in store_values.items() if store is None or getattr(store, name) != value]
        if planned.changed:
            plan.changes.append(planned)
        else:
            plan.unchanged += 1
    return plan


def _candidate(current: Asset | None, kind: str, values: dict[str, Any]) -> Asset:
    candidate = Asset(kind=kind)
    if current is not None:
        for model_field in Asset._meta.concrete_fields:
            setattr(candidate, model_field.attname, getattr(current, model_field.attname))
    for name, value in values.items():
        setattr(candidate, name, value)
    return candidate


def preview_of(plan: Plan) -> dict:
    """What the preview page shows (bounded: the first rows of each list)."""
    return {
        "adds": [{"line": row.line, "tag": row.tag, "name": row.values.get("name", "")} for row in plan.adds[:PREVIEW_ROWS]],
        "changes": [{"line": row.line, "tag": row.tag, "fields": row.changed} for row in plan.changes[:PREVIEW_ROWS]],
    }


# --- the import's life: upload (plan) → apply or cancel --------------------------------------
@transaction.atomic
def import_upload(*, filename: str, data: bytes, by, now: datetime, request=None) -> AssetImport:
    """Read and check the file; keep it (encrypted) with its preview. Raises CsvFileError."""
    header, rows = read_csv(data)
    problems = header_problems(header)
    if problems:
        raise CsvFileError(" ".join(problems))
    if not rows:
        raise CsvFileError("The file has a header but no rows.")
    plan = plan_import(rows)
    job = AssetImport.objects.create(
        created_by=by,
        created_at=now,
        filename=filename[:200],
        content=data.decode("utf-8-sig"),
        summary=plan.summary(),
        errors=[{"line": error.line, "message": error.message} for error in plan.errors[:1000]],
        preview=preview_of(plan),
    )
    record_event("assets.import.uploaded", request=request, actor=by, obj=job, details={"rows": len(rows), **plan.summary()})
    return job


def import_apply(*, job: AssetImport, import_good_rows: bool, by, now: datetime, request=None) -> AssetImport:
    """Apply the previewed import in one transaction, or raise ValidationError having written nothing
    (except, when the inventory changed since the preview, the new preview)."""
    with transaction.atomic():
        job = AssetImport.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportStatus.PREVIEW:
            raise ValidationError("This import is not waiting to be applied.")
        _header, rows = read_csv(job.content.encode("utf-8"))
        plan = plan_import(rows)
        fresh = plan.summary()
        stale = {k: v for k, v in fresh.items() if k != "unchanged"} != {k: v for k, v in job.summary.items() if k != "unchanged"}
        if stale:
            job.summary, job.preview = fresh, preview_of(plan)
            job.errors = [{"line": error.line, "message": error.message} for error in plan.errors[:1000]]
            job.save(update_fields=["summary", "preview", "errors"])
        else:
            if plan.errors and not import_good_rows:
                raise ValidationError(f"{fresh['bad']} rows have errors: fix the file, or choose to import the good rows only.")
            _write(plan, by=by, now=now)
            job.status, job.applied_at, job.import_good_rows, job.content = ImportStatus.APPLIED, now, import_good_rows, ""
            job.save(update_fields=["status", "applied_at", "import_good_rows", "content"])
            record_event(
                "assets.import.applied",
                request=request,
                actor=by,
                obj=job,
                changed_fields=sorted({name for row in plan.changes for name in row.changed}),
                details={"added": len(plan.adds), "changed": len(plan.changes), "skipped_bad_rows": fresh["bad"]},
            )
            return job
    raise ValidationError("The inventory changed since this preview: check the new preview and apply again.")


def import_cancel(*, job: AssetImport, by, now: datetime, request=None) -> None:
    if job.status != ImportStatus.PREVIEW:
        raise ValidationError("This import is already applied or cancelled.")
    AssetImport.objects.filter(pk=job.pk).update(status=ImportStatus.CANCELLED, content="")
    record_event("assets.import.cancelled", request=request, actor=by, obj=job)


def _write(plan: Plan, *, by, now: datetime) -> None:
    new_assets, new_stores = [], []
    for row in plan.adds:
        asset = Asset(kind=row.kind, created_at=now, updated_at=now, **row.values)
        store = DataStore(**row.store_values) if asset.kind == AssetKind.DATA_STORE else None
        apply_flags(asset, store, now)
        new_assets.append(asset)
        new_stores.append(store)
    Asset.objects.bulk_create(new_assets, batch_size=500)
    for asset, store in zip(new_assets, new_stores, strict=True):
        if store is not None:
            store.asset = asset
    DataStore.objects.bulk_create([store for store in new_stores if store is not None], batch_size=500)

    changing: dict[int | None, Asset] = {
        asset.pk: asset for asset in Asset.objects.filter(pk__in=[row.pk for row in plan.changes]).select_related("data_store")
    }
    asset_fields, store_fields, stores_to_create, stores_to_update = {"updated_at", "flag_count", "flags_recheck_at"}, set(), [], []
    for row in plan.changes:
        asset = changing[row.pk]
        for name, value in row.values.items():
            setattr(asset, name, value)
            asset_fields.add(name)
        asset.updated_at = now
        store = asset.store
        if asset.kind == AssetKind.DATA_STORE:
            if store is None:
                store = DataStore(asset=asset)
                stores_to_create.append(store)
            else:
                stores_to_update.append(store)
            for name, value in row.store_values.items():
                setattr(store, name, value)
                store_fields.add(name)
        apply_flags(asset, store, now)
    Asset.objects.bulk_update(list(changing.values()), sorted(asset_fields - {"tag"}), batch_size=500)
    DataStore.objects.bulk_create(stores_to_create)
    if store_fields and stores_to_update:
        DataStore.objects.bulk_update(stores_to_update, sorted(store_fields), batch_size=500)
    for store in DataStore.objects.filter(asset__in=[*new_assets, *changing.values()]).select_related("asset__owner"):
        retention_obligation_sync(store=store, now=now)
    if plan.adds or plan.changes:
        programme_obligations_ensure(now=now, owner=by)


# --- export -------------------------------------------------------------------------------------
def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, User):
        return value.username
    return "" if value is None else str(value)


def export_rows(assets, now: datetime):
    """One row per asset in ``COLUMNS`` order plus the flags (assets loaded with owner and data_store)."""
    limits = limits_from_settings()
    for asset in assets:
        store = asset.store
        mine = set(COMMON_FIELDS) | set(KIND_FIELDS.get(asset.kind, ())) | {"kind"}
        row = [_cell(getattr(asset, name)) if name in mine else "" for name in ASSET_COLUMNS]
        row += [_cell(getattr(store, name)) if store is not None else "" for name in STORE_FIELDS]
        row.append("; ".join(asset_flags(asset, now=now, store=store, limits=limits)))
        yield row


def export_header() -> list[str]:
    return [*COLUMNS, *READ_ONLY_COLUMNS]
