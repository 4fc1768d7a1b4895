from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "grc.controls"
    label = "controls"
    verbose_name = "Control register"

    def ready(self) -> None:
        # Django app loading: the module imports the app's models, which exist only once the registry is ready
        from grc.controls.checks import register

        register()
