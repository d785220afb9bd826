from django.urls import path

from partnerhub.dashboard.partnership import PartnershipDetailView, PartnershipNoteAddView
from partners import views, views_leads

app_name = "partners"

urlpatterns = [
    path("applications/", views.ApplicationListView.as_view(), name="application_list"),
    path("applications/decide/", views.ApplicationDecideView.as_view(), name="application_decide"),
    path(
        "applications/<str:application_id>/",
        views.ApplicationDetailView.as_view(),
        name="application_detail",
    ),
    path("partnerships/", views.PartnershipListView.as_view(), name="partnership_list"),
    path("partnerships/invite/", views.PartnershipInviteView.as_view(), name="partnership_invite"),
    path(
        "partnerships/<str:partnership_id>/",
        PartnershipDetailView.as_view(),
        name="partnership_detail",
    ),
    path(
        "partnerships/<str:partnership_id>/notes/",
        PartnershipNoteAddView.as_view(),
        name="partnership_note_add",
    ),
    path("imports/", views.ImportView.as_view(), name="import"),
    path("imports/<str:import_id>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("leads/", views_leads.LeadListView.as_view(), name="lead_list"),
    path("leads/<str:lead_id>/", views_leads.LeadDetailView.as_view(), name="lead_detail"),
    path(
        "customers/<str:customer_id>/attribution/",
        views_leads.CustomerAttributionView.as_view(),
        name="customer_attribution",
    ),
    path(
        "reports/join-sources/",
        views.JoinSourceReportView.as_view(),
        name="join_source_report",
    ),
]
