from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    label = "assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        # Django app loading: these modules import the app's models, which exist only once the registry is ready
        from assets import dsar_obligations, obligations

        dsar_obligations.register()  # DPP 2.2: data-subject requests answered in time
        obligations.register()  # providers for the inventory, vulnerability and deletion clocks; live checks of 1.1-2.7
