from django.urls import path

from payouts import views, views_plans

app_name = "payouts"

urlpatterns = [
    path("<slug:vendor_slug>/customers/", views.CustomersView.as_view(), name="customers"),
    path(
        "<slug:vendor_slug>/customers/<str:customer_id>/churn/",
        views.CustomerChurnView.as_view(),
        name="customer_churn",
    ),
    path("<slug:vendor_slug>/commissions/", views.CommissionsView.as_view(), name="commissions"),
    path("<slug:vendor_slug>/payout-runs/", views.PayoutRunsView.as_view(), name="runs"),
    path(
        "<slug:vendor_slug>/payout-runs/<str:payout_run_id>/",
        views.PayoutRunView.as_view(),
        name="run",
    ),
    path(
        "<slug:vendor_slug>/payout-runs/<str:payout_run_id>/export.csv",
        views.PayoutRunExportView.as_view(),
        name="run_export",
    ),
    path(
        "<slug:vendor_slug>/payouts/<str:payout_id>/mark-paid/",
        views.PayoutMarkPaidView.as_view(),
        name="mark_paid",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/",
        views_plans.CommissionPlanListView.as_view(),
        name="plans",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/new/",
        views_plans.CommissionPlanFormView.as_view(),
        name="plan_create",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/<str:commission_plan_id>/",
        views_plans.CommissionPlanFormView.as_view(),
        name="plan_edit",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/<str:commission_plan_id>/deactivate/",
        views_plans.CommissionPlanDeactivateView.as_view(),
        name="plan_deactivate",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/<str:commission_plan_id>/reactivate/",
        views_plans.CommissionPlanReactivateView.as_view(),
        name="plan_reactivate",
    ),
    path(
        "<slug:vendor_slug>/payout-details/",
        views.PayoutDetailsListView.as_view(),
        name="payout_details",
    ),
    path(
        "<slug:vendor_slug>/payout-details/<str:payout_details_id>/verify/",
        views.PayoutDetailsVerifyView.as_view(),
        name="payout_details_verify",
    ),
]
