"""Staff-facing pages of the policy library, mounted beside ``grc.policies.urls`` at ``policies/``:
the policies a person still has to acknowledge, acknowledging a version, and a version's file.

A namespace of its own (``policy_library``): the ``policies`` URL matrix test lists exactly the
document, version, review and major-change pages.
"""

from django.urls import path

from grc.policies import library_views

app_name = "policy_library"
urlpatterns = [
    path("to-acknowledge/", library_views.my_acknowledgements, name="my_acknowledgements"),
    path("versions/<int:pk>/acknowledge/", library_views.acknowledge, name="acknowledge"),
    path("versions/<int:pk>/file/", library_views.version_file, name="version_file"),
]
