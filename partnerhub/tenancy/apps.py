from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "partnerhub.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from partnerhub.tenancy import rls

        connection_created.connect(rls.on_connection_created, dispatch_uid="tenancy_rls_conn")
        post_migrate.connect(rls.on_post_migrate, dispatch_uid="tenancy_rls_install")
