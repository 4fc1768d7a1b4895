from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "grc.policies"
    label = "policies"
    verbose_name = "Policy library"
