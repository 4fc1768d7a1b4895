from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "grc.accounts"
    label = "accounts"
    verbose_name = "Accounts and identity"

    def ready(self) -> None:
        from grc.accounts import signals  # noqa: F401  (connects the audit receivers)
