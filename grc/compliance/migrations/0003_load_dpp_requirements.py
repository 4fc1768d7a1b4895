"""Load every DPP clause (1.1-1.8, 2.1-2.7, 3) from grc/compliance/data/dpp_requirements.json.

Idempotent (update_or_create by clause), so a later migration can re-run it after the file changes.
"""

from django.db import migrations


def load(apps, schema_editor):
    from grc.compliance.requirements import load_requirements

    load_requirements(apps.get_model("compliance", "Requirement"))


def unload(apps, schema_editor):
    apps.get_model("compliance", "Requirement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_requirement_reminders_feed_tokens")]

    operations = [migrations.RunPython(load, unload)]
