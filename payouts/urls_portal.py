from django.urls import path

from payouts import views_portal

app_name = "portal_income"

urlpatterns = [
    path("", views_portal.passive_income_view, name="home"),
]
