from django.urls import path

from partnerhub.dashboard import exports

app_name = "exports"

urlpatterns = [
    path("partnerships.csv", exports.PartnershipsExport.as_view(), name="partnerships"),
    path("applications.csv", exports.ApplicationsExport.as_view(), name="applications"),
    path("customers.csv", exports.CustomersExport.as_view(), name="customers"),
    path("commissions.csv", exports.CommissionsExport.as_view(), name="commissions"),
    path("commission-plans.csv", exports.CommissionPlansExport.as_view(), name="commission_plans"),
    path("payout-runs.csv", exports.PayoutRunsExport.as_view(), name="payout_runs"),
]
