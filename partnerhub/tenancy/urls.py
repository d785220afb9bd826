"""The platform's dashboard pages: vendor picker, members, API keys, settings, audit log.
Included by ``web.urls`` under the ``dashboard`` namespace, beside the vendor home."""

from django.urls import path

from partnerhub.audit import views as audit_views
from partnerhub.tenancy import views

urlpatterns = [
    path("", views.vendor_picker, name="vendor_picker"),
    path("new/", views.vendor_create, name="vendor_create"),
    path("<slug:vendor_slug>/members/", views.MembersView.as_view(), name="members"),
    path(
        "<slug:vendor_slug>/members/<str:member_id>/role/",
        views.MemberRoleView.as_view(),
        name="member_role",
    ),
    path(
        "<slug:vendor_slug>/members/<str:member_id>/remove/",
        views.MemberRemoveView.as_view(),
        name="member_remove",
    ),
    path(
        "<slug:vendor_slug>/invitations/<str:invitation_id>/revoke/",
        views.InvitationRevokeView.as_view(),
        name="invitation_revoke",
    ),
    path("<slug:vendor_slug>/api-keys/", views.APIKeysView.as_view(), name="api_keys"),
    path(
        "<slug:vendor_slug>/api-keys/<str:key_id>/revoke/",
        views.APIKeyRevokeView.as_view(),
        name="api_key_revoke",
    ),
    path("<slug:vendor_slug>/settings/", views.SettingsView.as_view(), name="settings"),
    path(
        "<slug:vendor_slug>/settings/security/",
        views.SecuritySettingsView.as_view(),
        name="security_settings",
    ),
    path("<slug:vendor_slug>/audit/", audit_views.AuditLogView.as_view(), name="audit_log"),
    path(
        "<slug:vendor_slug>/audit/export.csv",
        audit_views.AuditExportView.as_view(),
        name="audit_export",
    ),
]
