from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "grc.policies"
    label = "policies"
    verbose_name = "Policy library"

    def ready(self) -> None:
        from grc.policies.obligations import register

        register()
