from django.urls import path

from payouts import views_portal

app_name = "portal_income"

urlpatterns = [
    path("", views_portal.passive_income_view, name="home"),
    path(
        "partnerships/<str:partnership_id>/payout-details/",
        views_portal.payout_details_view,
        name="payout_details",
    ),
]
