from django.urls import path

from journey import views

app_name = "journey"

urlpatterns = [
    path("<slug:vendor_slug>/journey/", views.FunnelView.as_view(), name="funnel"),
    path("<slug:vendor_slug>/journey/at-risk/", views.AtRiskView.as_view(), name="at_risk"),
    path(
        "<slug:vendor_slug>/journey/partnerships/<str:partnership_id>/",
        views.PartnershipJourneyView.as_view(),
        name="partnership",
    ),
    path(
        "<slug:vendor_slug>/journey/partnerships/<str:partnership_id>/nudge/",
        views.NudgeView.as_view(),
        name="nudge",
    ),
    path(
        "<slug:vendor_slug>/journey/programs/<str:program_id>/rules/",
        views.StageRulesView.as_view(),
        name="rules",
    ),
]
