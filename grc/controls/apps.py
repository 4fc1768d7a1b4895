from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "grc.controls"
    label = "controls"
    verbose_name = "Control register"

    def ready(self) -> None:
        from grc.controls.checks import register

        register()
