from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    label = "assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        from assets.obligations import register

        register()  # providers for the inventory, vulnerability and deletion clocks; live checks of 1.1-2.7
