from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    label = "assets"
    verbose_name = "Assets"
