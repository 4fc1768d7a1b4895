from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "grc.evidence"
    label = "evidence"
    verbose_name = "Evidence"
