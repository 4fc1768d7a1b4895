from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "grc.risks"
    label = "risks"
    verbose_name = "Risks"

    def ready(self) -> None:
        # Django app loading: the module imports the app's models, which exist only once the registry is ready
        from grc.risks.obligations import register

        register()
