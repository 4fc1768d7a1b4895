from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "grc.accounts"
    label = "accounts"
    verbose_name = "Accounts and identity"

    def ready(self) -> None:
        from grc.accounts import checks, signals  # noqa: F401  (signals connects the audit receivers)
        from grc.accounts.admin_site import install as install_admin_sign_in
        from grc.accounts.obligations import KIND, PasswordExpiryProvider
        from grc.compliance.registry import register_provider

        register_provider(KIND, PasswordExpiryProvider())
        checks.register()
        install_admin_sign_in()  # wrong one-time codes on /admin/login/ count towards the lockout
