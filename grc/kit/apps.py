from django.apps import AppConfig


class KitConfig(AppConfig):
    """The Amazon assessment kit (issue 14): a reader of the domain apps and the obligation engine."""

    name = "grc.kit"
    label = "kit"
    verbose_name = "Assessment kit"
