from django.apps import AppConfig

from grc.compliance.lookups import PERSON_NAMES, register_lookup


class AccessReviewsConfig(AppConfig):
    name = "access_reviews"
    label = "access_reviews"
    verbose_name = "Access reviews"

    def ready(self) -> None:
        # Django app loading: these modules import the app's models, which exist only once the registry is ready
        from access_reviews import confidentiality, obligations, selectors

        obligations.register()
        confidentiality.register()  # DPP 2.2: confidentiality agreements of people with PII access
        register_lookup(PERSON_NAMES, selectors.person_names)  # the PII check of an incident notification asks for the registry's names
