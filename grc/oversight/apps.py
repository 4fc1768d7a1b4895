from django.apps import AppConfig


class OversightConfig(AppConfig):
    """What watches the accounts and the audit trail through the obligation engine: the log-review
    obligation and the audit trail's pages, the password clock and the accounts' live checks."""

    name = "grc.oversight"
    label = "oversight"
    verbose_name = "Oversight of accounts and the audit trail"

    def ready(self) -> None:
        # Django app loading: registrations with the engine and receivers need every app loaded
        from grc.oversight import account_checks, account_obligations, log_reviews, signals  # noqa: F401  (signals connects the receivers)

        account_obligations.register()
        account_checks.register()  # the 1.2 generic-names check before the engine's own portal checks
        log_reviews.register()
