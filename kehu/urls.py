from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kehu.accounts import admin_views, security_views
from kehu.accounts import views as account_views
from kehu.accounts.views import LoginView
from kehu.api import api
from kehu.core import calendar_views
from kehu.core import views as core_views
from kehu.service import public as service_public

handler400 = "kehu.core.views.error_400"
handler403 = "kehu.core.views.error_403"
handler404 = "kehu.core.views.error_404"
handler500 = "kehu.core.views.error_500"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/verify/", account_views.twofactor_verify, name="twofactor_verify"),
    path("account/2fa/setup/", account_views.twofactor_setup, name="twofactor_setup"),
    path(
        "account/2fa/recovery-codes/",
        account_views.twofactor_recovery_codes,
        name="twofactor_recovery_codes",
    ),
    path("language/", core_views.switch_language, name="switch_language"),
    path("account/security/", security_views.security, name="security"),
    path("account/profile/", security_views.profile, name="profile"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html", success_url="/account/security/"
        ),
        name="password_change",
    ),
    path("account/confirm-password/", security_views.confirm_password, name="confirm_password"),
    path("account/sessions/<int:session_id>/end/", security_views.end_session, name="end_session"),
    path(
        "account/sessions/end-others/", security_views.end_other_sessions, name="end_other_sessions"
    ),
    path("account/tokens/", security_views.create_token, name="create_token"),
    path("account/tokens/<int:token_id>/revoke/", security_views.revoke_token, name="revoke_token"),
    path("account/2fa/disable/", security_views.disable_twofactor, name="disable_twofactor"),
    path("notifications/", core_views.NotificationListView.as_view(), name="notifications"),
    path("audit/", core_views.AuditLogView.as_view(), name="audit_log"),
    path("search/", core_views.search_page, name="search"),
    path("views/save/", core_views.save_view, name="save_view"),
    path("views/<int:view_id>/delete/", core_views.delete_view, name="delete_view"),
    path("org/", admin_views.org_chart, name="org_chart"),
    path("invite/<str:token>/", admin_views.accept_invitation, name="accept_invitation"),
    path("settings/people/", admin_views.UserListView.as_view(), name="admin_users"),
    path("settings/people/<int:pk>/", admin_views.user_edit, name="admin_user_edit"),
    path(
        "settings/people/<int:pk>/deactivate/",
        admin_views.user_deactivate,
        name="admin_user_deactivate",
    ),
    path("settings/people/<int:pk>/unlock/", admin_views.user_unlock, name="admin_user_unlock"),
    path("settings/invitations/", admin_views.invitations, name="admin_invitations"),
    path("settings/teams/", admin_views.team_list, name="admin_teams"),
    path("settings/teams/new/", admin_views.team_edit, name="admin_team_new"),
    path("settings/teams/<int:pk>/", admin_views.team_edit, name="admin_team_edit"),
    path("settings/roles/", admin_views.role_list, name="admin_roles"),
    path("settings/calendar/", calendar_views.working_calendar_page, name="working_calendar"),
    path("settings/roles/<int:pk>/", admin_views.role_edit, name="admin_role_edit"),
    path("notifications/bell/", core_views.bell, name="notifications_bell"),
    path("notifications/read/", core_views.mark_all_read, name="notifications_read"),
    path("customers/", include("kehu.customers.urls")),
    path("data/", include("kehu.dataops.urls")),
    path("work/", include("kehu.work.urls")),
    path("work/", include("kehu.work.urls_views")),  # the boards (namespace "workviews")
    path("sales/", include("kehu.sales.urls")),
    path("service/", include("kehu.service.urls")),
    path("s/<str:token>/", service_public.survey, name="survey"),
    path("support/inquiry/", service_public.inquiry, name="inquiry"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
