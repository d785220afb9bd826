"""Dashboard pages of attribution (leads and deals, a customer's manual attribution);
``web.urls`` mounts them in the ``partners`` namespace beside the partners app's pages."""

from django.urls import path

from attribution.views import leads

urlpatterns = [
    path("leads/", leads.LeadListView.as_view(), name="lead_list"),
    path("leads/<str:lead_id>/", leads.LeadDetailView.as_view(), name="lead_detail"),
    path(
        "customers/<str:customer_id>/attribution/",
        leads.CustomerAttributionView.as_view(),
        name="customer_attribution",
    ),
]
