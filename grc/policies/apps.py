from django.apps import AppConfig

from grc.compliance.lookups import INCIDENT_TYPES, register_lookup


class PoliciesConfig(AppConfig):
    name = "grc.policies"
    label = "policies"
    verbose_name = "Policy library"

    def ready(self) -> None:
        # Django app loading: these modules import the app's models, which exist only once the registry is ready
        from grc.policies import obligations, selectors

        obligations.register()
        register_lookup(INCIDENT_TYPES, selectors.incident_types)  # incident triage asks for the types of the approved IR plan
