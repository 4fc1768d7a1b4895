from django.apps import AppConfig


class AccessReviewsConfig(AppConfig):
    name = "access_reviews"
    label = "access_reviews"
    verbose_name = "Access reviews"

    def ready(self) -> None:
        from access_reviews.obligations import register

        register()
