"""The partners app's dashboard pages (applications, partnerships, imports, join-source
report); ``web.urls`` mounts them in the ``partners`` namespace."""

from django.urls import path

from partners.views import applications, imports, partnerships, reports

urlpatterns = [
    path("applications/", applications.ApplicationListView.as_view(), name="application_list"),
    path(
        "applications/decide/",
        applications.ApplicationDecideView.as_view(),
        name="application_decide",
    ),
    path(
        "applications/<str:application_id>/",
        applications.ApplicationDetailView.as_view(),
        name="application_detail",
    ),
    path("partnerships/", partnerships.PartnershipListView.as_view(), name="partnership_list"),
    path(
        "partnerships/invite/",
        partnerships.PartnershipInviteView.as_view(),
        name="partnership_invite",
    ),
    path("imports/", imports.ImportView.as_view(), name="import"),
    path("imports/<str:import_id>/", imports.ImportDetailView.as_view(), name="import_detail"),
    path(
        "reports/join-sources/",
        reports.JoinSourceReportView.as_view(),
        name="join_source_report",
    ),
]
