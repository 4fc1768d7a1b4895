"""URLs of the risk register (DPP 1.6): the register is its home (``risks:index``)."""

from django.urls import path

from grc.risks.views import register, reviews, treatment

app_name = "risks"
urlpatterns = [
    # the register
    path("", register.index, name="index"),
    path("export.csv", register.export, name="export"),
    path("new/", register.create, name="create"),
    path("<int:pk>/", register.detail, name="detail"),
    path("<int:pk>/edit/", register.edit, name="edit"),
    path("<int:pk>/close/", register.close, name="close"),
    path("<int:pk>/reopen/", register.reopen, name="reopen"),
    # treatment plans
    path("<int:pk>/actions/new/", treatment.action_create, name="action_create"),
    path("actions/<int:pk>/complete/", treatment.action_complete, name="action_complete"),
    path("actions/<int:pk>/cancel/", treatment.action_cancel, name="action_cancel"),
    path("<int:pk>/acceptance/", treatment.acceptance_request, name="acceptance_request"),
    path("acceptances/<int:pk>/decide/", treatment.acceptance_decide, name="acceptance_decide"),
    # the annual senior-management review
    path("reviews/", reviews.review_list, name="reviews"),
    path("reviews/new/", reviews.review_start, name="review_start"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review"),
    path("reviews/<int:pk>/sign/", reviews.review_sign, name="review_sign"),
    path("reviews/items/<int:pk>/decide/", reviews.item_decide, name="item_decide"),
]
