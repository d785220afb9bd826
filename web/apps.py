from django.apps import AppConfig


class WebConfig(AppConfig):
    """The top layer: pages and routers that combine the domain apps (vendor home, the
    partnership page, CSV exports, the ``/app/<vendor_slug>/`` URL tree, the ``/api/v1`` router)."""

    name = "web"
