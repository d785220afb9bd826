from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "partnerhub.webhooks"
    label = "webhooks"
    verbose_name = "Events and webhooks"
