"""The content types of the kit's four models (and so their permissions) follow them to app ``kit``.

An existing database has ``compliance | kit document`` and its permissions; the row is relabelled,
keeping its id, so whatever points at it (permissions given to groups and users, admin log
entries, …) stays attached. A fresh database has no content type yet at this point (``post_migrate``
makes them after the last migration), so there is nothing to do. Should a ``kit`` content type
already exist too (``post_migrate`` of a run before this migration), what points at it is moved to the
relabelled row and it is deleted, rather than colliding with it on (app_label, model).
Reversible: backwards relabels ``kit`` to ``compliance`` the same way.
"""

from django.db import migrations

MODELS = ("questionnaireanswer", "questionnairesubmission", "kitdocument", "attestation")


def _repoint(model, old, new) -> None:
    """Point every row that refers to ``old`` (a ``model`` instance) at ``new`` instead."""
    for relation in model._meta.related_objects:
        if relation.many_to_many:
            through = relation.through
            owner, target = relation.field.m2m_field_name(), relation.field.m2m_reverse_field_name()
            already = through._base_manager.filter(**{target: new}).values_list(owner, flat=True)
            rows = through._base_manager.filter(**{target: old})
            rows.filter(**{f"{owner}__in": list(already)}).delete()
            rows.update(**{target: new})
        else:
            name = relation.field.name
            relation.related_model._base_manager.filter(**{name: old}).update(**{name: new})


def _merge(apps, keep, drop) -> None:
    """Move what refers to content type ``drop`` (its permissions first) onto ``keep``; delete ``drop``."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type=drop):
        twin = Permission.objects.filter(content_type=keep, codename=permission.codename).first()
        if twin is None:
            permission.content_type = keep
            permission.save(update_fields=["content_type"])
        else:
            _repoint(Permission, permission, twin)
            permission.delete()
    _repoint(ContentType, drop, keep)
    drop.delete()


def _relabel(apps, old_label: str, new_label: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        moving = ContentType.objects.filter(app_label=old_label, model=model).first()
        if moving is None:
            continue
        existing = ContentType.objects.filter(app_label=new_label, model=model).first()
        if existing is not None:
            _merge(apps, keep=moving, drop=existing)
        moving.app_label = new_label
        moving.save(update_fields=["app_label"])
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor) -> None:
    _relabel(apps, "compliance", "kit")


def backwards(apps, schema_editor) -> None:
    _relabel(apps, "kit", "compliance")


class Migration(migrations.Migration):
    dependencies = [
        ("kit", "0001_initial"),
        ("compliance", "0007_kit_moved_to_its_own_app"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
