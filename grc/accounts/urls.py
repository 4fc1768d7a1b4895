from django.urls import path

from grc.accounts import profile_views, user_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("verify/", views.verify, name="verify"),
    path("step-up/", views.step_up, name="step_up"),
    path("mfa/enrol/", views.enrol, name="enrol"),
    path("mfa/backup-codes/", views.backup_codes, name="backup_codes"),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    # the user's own profile
    path("profile/", profile_views.profile, name="profile"),
    path("profile/backup-codes/", profile_views.backup_codes_regenerate, name="backup_codes_regenerate"),
    # user management (security lead). Not under /accounts/invite/: that prefix is open before MFA.
    path("users/", user_views.users, name="users"),
    path("users/invite/", user_views.invite, name="invite"),
    path("users/<int:pk>/", user_views.user_detail, name="user_detail"),
    path("users/<int:pk>/deactivate/", user_views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/reactivate/", user_views.user_reactivate, name="user_reactivate"),
    path("users/<int:pk>/mfa-reset/", user_views.user_mfa_reset, name="user_mfa_reset"),
    path("users/<int:pk>/password/", user_views.user_password_reset, name="user_password_reset"),
    path("invitations/<int:pk>/revoke/", user_views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<int:pk>/resend/", user_views.invitation_resend, name="invitation_resend"),
    path("lockouts/", user_views.lockouts, name="lockouts"),
    path("lockouts/unlock/", user_views.unlock, name="unlock"),
]
