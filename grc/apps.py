from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The project package as an app: shared template tags, seed_demo and the run command."""

    name = "grc"
    label = "grc"
    verbose_name = "DPP portal"
