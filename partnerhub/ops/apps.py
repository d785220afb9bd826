from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operator commands: the local dev stack (``make run``) and the demo data."""

    name = "partnerhub.ops"
    label = "ops"
