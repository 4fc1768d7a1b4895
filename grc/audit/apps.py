from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "grc.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Django app loading: receivers connect once every app is loaded (task failures and request
        # errors into the trail; watched events to the alarm rules)
        from grc.audit import rules, signals  # noqa: F401
        from grc.audit.hooks import event_watched  # app loading, as above

        event_watched.connect(rules.on_event_watched, dispatch_uid="grc.audit.rules.observe")
