"""Create the built-in document types (the IR plan of DPP 1.6) from grc/policies/catalogue.py.

Idempotent (get_or_create by code), so a later migration can run it again after new types are
added to the catalogue; existing rows are never overwritten.
"""

from django.db import migrations


def create_types(apps, schema_editor):
    from grc.policies.catalogue import create_missing_types

    create_missing_types(apps.get_model("policies", "DocumentType"))


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunPython(create_types, migrations.RunPython.noop)]
