"""The assessment kit's records move from the obligation engine (app ``compliance``) to app ``kit``.

State only: the tables keep their names (``Meta.db_table = "compliance_..."``), so no row is copied
and nothing is created or dropped. ``compliance`` 0007 removes the same four models from its state;
``kit`` 0002 moves their content types (and so their permissions).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("compliance", "0006_attestation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="QuestionnaireSubmission",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("submitted_on", models.DateField(verbose_name="submitted on")),
                        (
                            "label",
                            models.CharField(
                                blank=True, help_text="e.g. Developer profile, follow-up questions. No names.", max_length=120
                            ),
                        ),
                        ("content", models.JSONField()),
                        ("content_sha256", models.CharField(max_length=64)),
                        ("created_at", models.DateTimeField()),
                        ("pdf", models.FileField(blank=True, max_length=300, upload_to="compliance/questionnaire/%Y/")),
                        ("pdf_sha256", models.CharField(blank=True, max_length=64)),
                        ("pdf_built_at", models.DateTimeField(blank=True, null=True)),
                        ("pdf_error", models.CharField(blank=True, help_text="exception class of a failed build", max_length=100)),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
                            ),
                        ),
                    ],
                    options={
                        "db_table": "compliance_questionnairesubmission",
                        "ordering": ["-submitted_on", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Attestation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("statement", models.CharField(db_index=True, help_text="key of grc.kit.attestations.STATEMENTS", max_length=40)),
                        ("text", models.TextField(help_text="the wording that was signed, frozen")),
                        ("evidence_url", models.URLField(blank=True, max_length=500, verbose_name="evidence link")),
                        ("evidence", models.FileField(blank=True, max_length=300, upload_to="compliance/attestations/%Y/")),
                        ("evidence_name", models.CharField(blank=True, max_length=200)),
                        ("evidence_sha256", models.CharField(blank=True, max_length=64)),
                        ("signed_at", models.DateTimeField(db_index=True)),
                        ("step_up_at", models.DateTimeField(help_text="when the signer last gave a one-time code")),
                        ("expires_on", models.DateField(verbose_name="expires on")),
                        ("withdrawn_at", models.DateTimeField(blank=True, null=True)),
                        ("withdrawn_reason", models.CharField(blank=True, max_length=300)),
                        (
                            "owner",
                            models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL),
                        ),
                        (
                            "signed_by",
                            models.ForeignKey(
                                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
                            ),
                        ),
                        (
                            "withdrawn_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "compliance_attestation",
                        "ordering": ["statement", "-signed_at", "-id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("evidence_url", ""), _negated=True),
                                    models.Q(("evidence", ""), _negated=True),
                                    _connector="OR",
                                ),
                                name="attestation_has_evidence",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="KitDocument",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("architecture", "Architecture diagram"),
                                    ("data_flow", "Data-flow diagram"),
                                    ("network", "Network diagram"),
                                    ("other", "Other assessment document"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("title", models.CharField(help_text="e.g. Production architecture, order data flow. No names.", max_length=150)),
                        ("clauses", models.JSONField(default=list, help_text="DPP clauses it is evidence for")),
                        ("file", models.FileField(max_length=300, upload_to="compliance/kit/%Y/")),
                        ("file_name", models.CharField(max_length=200)),
                        ("file_sha256", models.CharField(max_length=64)),
                        ("file_size", models.PositiveBigIntegerField(default=0)),
                        ("uploaded_at", models.DateTimeField()),
                        ("reviewed_at", models.DateTimeField(help_text="last review (the upload counts as one)")),
                        ("review_due_at", models.DateTimeField(db_index=True)),
                        ("superseded_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "reviewed_by",
                            models.ForeignKey(
                                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
                            ),
                        ),
                        (
                            "supersedes",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="superseded_by",
                                to="kit.kitdocument",
                            ),
                        ),
                        (
                            "uploaded_by",
                            models.ForeignKey(
                                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
                            ),
                        ),
                    ],
                    options={
                        "db_table": "compliance_kitdocument",
                        "ordering": ["kind", "title", "-uploaded_at"],
                        "indexes": [
                            models.Index(condition=models.Q(("superseded_at__isnull", True)), fields=["kind"], name="kit_document_current")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="QuestionnaireAnswer",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("area", models.CharField(max_length=40, unique=True)),
                        ("text", models.TextField(blank=True)),
                        ("char_limit", models.PositiveIntegerField(default=1000)),
                        (
                            "draft_digest",
                            models.CharField(blank=True, help_text="SHA-256 of the draft the answer was last saved against", max_length=64),
                        ),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "updated_by",
                            models.ForeignKey(
                                null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL
                            ),
                        ),
                    ],
                    options={
                        "db_table": "compliance_questionnaireanswer",
                        "ordering": ["area"],
                        "constraints": [
                            models.CheckConstraint(condition=models.Q(("char_limit__gte", 50)), name="questionnaire_answer_limit_sane")
                        ],
                    },
                ),
            ],
        ),
    ]
