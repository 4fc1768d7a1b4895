from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "grc.risks"
    label = "risks"
    verbose_name = "Risks"
