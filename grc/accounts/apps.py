from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "grc.accounts"
    label = "accounts"
    verbose_name = "Accounts and identity"

    def ready(self) -> None:
        # Django app loading: the receivers connect, and the admin site exists, once every app is loaded
        from grc.accounts import signals  # noqa: F401  (signals connects the audit receivers)
        from grc.accounts.admin_site import install as install_admin_sign_in  # app loading, as above

        install_admin_sign_in()  # wrong one-time codes on /admin/login/ count towards the lockout
