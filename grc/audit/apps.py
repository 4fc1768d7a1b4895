from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "grc.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from grc.audit import signals  # noqa: F401  (task failures and request errors into the trail)
        from grc.audit.reviews import KIND, LogReviewProvider, check_audit_trail
        from grc.compliance.registry import portal_check, register_check, register_provider

        register_provider(KIND, LogReviewProvider())
        register_check("2.6", "Audit trail reviewed and intact", portal_check(check_audit_trail))  # the portal's own log
