from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "grc.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        # app loading: checks.py reads models, which exist only once the app registry is ready
        from grc.compliance.checks import register_portal_checks

        register_portal_checks()  # the portal's own configuration as live DPP checks (1.2, 1.4, 1.5, 2.4, 2.6)
