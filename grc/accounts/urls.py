from django.contrib.auth import views as auth_views
from django.urls import path

from grc.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("verify/", views.verify, name="verify"),
    path("step-up/", views.step_up, name="step_up"),
    path("mfa/enrol/", views.enrol, name="enrol"),
    path("mfa/backup-codes/", views.backup_codes, name="backup_codes"),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
]
