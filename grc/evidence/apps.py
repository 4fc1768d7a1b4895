from django.apps import AppConfig
from django.core.checks import Tags
from django.core.checks import register as register_check

from grc.pdf_signing import check_signing


class EvidenceConfig(AppConfig):
    name = "grc.evidence"
    label = "evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        # app loading: the providers read the evidence models, importable only once the apps are ready
        from grc.evidence.obligations import register

        register()  # obligation providers for audit findings and approvals; the DPP 3 retention check
        register_check(check_signing, Tags.security, deploy=True)  # production signs every pack and letter
