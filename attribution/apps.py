from django.apps import AppConfig


class AttributionConfig(AppConfig):
    """Customer attribution: referral links and clicks, destinations, leads and deals, and the
    attribution of customers to partnerships. Its models still live in ``partners`` (see
    docs/architecture.md)."""

    name = "attribution"
