from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Django app loading: the module imports the app's models, which exist only once the registry is ready
        from incidents.obligations import register

        register()
