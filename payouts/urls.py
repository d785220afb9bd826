from django.urls import path

from payouts.views import commissions, customers, payout_details, plans, runs

app_name = "payouts"

urlpatterns = [
    path("<slug:vendor_slug>/customers/", customers.CustomersView.as_view(), name="customers"),
    path(
        "<slug:vendor_slug>/customers/<str:customer_id>/churn/",
        customers.CustomerChurnView.as_view(),
        name="customer_churn",
    ),
    path(
        "<slug:vendor_slug>/commissions/", commissions.CommissionsView.as_view(), name="commissions"
    ),
    path("<slug:vendor_slug>/payout-runs/", runs.PayoutRunsView.as_view(), name="runs"),
    path(
        "<slug:vendor_slug>/payout-runs/<str:payout_run_id>/",
        runs.PayoutRunView.as_view(),
        name="run",
    ),
    path(
        "<slug:vendor_slug>/payout-runs/<str:payout_run_id>/export.csv",
        runs.PayoutRunExportView.as_view(),
        name="run_export",
    ),
    path(
        "<slug:vendor_slug>/payouts/<str:payout_id>/mark-paid/",
        runs.PayoutMarkPaidView.as_view(),
        name="mark_paid",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/",
        plans.CommissionPlanListView.as_view(),
        name="plans",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/new/",
        plans.CommissionPlanFormView.as_view(),
        name="plan_create",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/<str:commission_plan_id>/",
        plans.CommissionPlanFormView.as_view(),
        name="plan_edit",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/<str:commission_plan_id>/deactivate/",
        plans.CommissionPlanDeactivateView.as_view(),
        name="plan_deactivate",
    ),
    path(
        "<slug:vendor_slug>/commission-plans/<str:commission_plan_id>/reactivate/",
        plans.CommissionPlanReactivateView.as_view(),
        name="plan_reactivate",
    ),
    path(
        "<slug:vendor_slug>/payout-details/",
        payout_details.PayoutDetailsListView.as_view(),
        name="payout_details",
    ),
    path(
        "<slug:vendor_slug>/payout-details/<str:payout_details_id>/verify/",
        payout_details.PayoutDetailsVerifyView.as_view(),
        name="payout_details_verify",
    ),
]
