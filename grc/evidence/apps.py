from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "grc.evidence"
    label = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from grc.evidence.obligations import register

        register()  # obligation providers for audit findings and approvals; the DPP 3 retention check
