"""The assessment kit's records now belong to app ``kit`` (``grc/kit/models.py``, ``kit`` 0001).

State only: the tables ``compliance_questionnaireanswer``, ``compliance_questionnairesubmission``,
``compliance_kitdocument`` and ``compliance_attestation`` stay where they are, with their rows;
the ``kit`` models name them in ``Meta.db_table``. ``CadenceOverride`` and ``CadenceChange`` stay here.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0006_attestation"),
        ("kit", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                # KitDocument.supersedes points at KitDocument itself; nothing else points at the four.
                migrations.DeleteModel(name="Attestation"),
                migrations.DeleteModel(name="KitDocument"),
                migrations.DeleteModel(name="QuestionnaireAnswer"),
                migrations.DeleteModel(name="QuestionnaireSubmission"),
            ],
        ),
    ]
