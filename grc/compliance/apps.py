from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "grc.compliance"
    label = "compliance"
    verbose_name = "Compliance"
