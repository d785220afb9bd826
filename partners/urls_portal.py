from django.urls import path

from partners import views_portal

app_name = "portal"

urlpatterns = [
    path("", views_portal.portal_home, name="home"),
    path(
        "partnerships/<str:partnership_id>/",
        views_portal.portal_partnership,
        name="partnership",
    ),
    path(
        "partnerships/<str:partnership_id>/leads/",
        views_portal.portal_leads,
        name="leads",
    ),
    path(
        "partnerships/<str:partnership_id>/lessons/<str:lesson_id>/complete/",
        views_portal.PortalLessonCompleteView.as_view(),
        name="lesson_complete",
    ),
    path(
        "partnerships/<str:partnership_id>/certifications/<str:certification_id>/",
        views_portal.portal_certification,
        name="certification",
    ),
]
