from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "grc.api"
    label = "api"
    verbose_name = "REST API"
