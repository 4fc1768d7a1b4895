from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "grc.risks"
    label = "risks"
    verbose_name = "Risks"

    def ready(self) -> None:
        from grc.risks.obligations import register

        register()
