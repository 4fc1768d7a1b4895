"""Add DPP section 2's own requirement (clause "2": PII only for tax and merchant-fulfilled shipping,
on a must-have basis), judged from the control register's purposes of each PII data store, and
renumber the catalogue's positions. Re-runs the idempotent loader of 0003."""

from django.db import migrations


def load(apps, schema_editor):
    from grc.compliance.requirements import load_requirements

    load_requirements(apps.get_model("compliance", "Requirement"))


def unload(apps, schema_editor):
    apps.get_model("compliance", "Requirement").objects.filter(clause="2").delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0004_assessment_kit")]

    operations = [migrations.RunPython(load, unload)]
