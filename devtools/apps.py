from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Developer tooling, installed by the dev and test settings only: the local dev stack
    (``make run``), the demo data, the benchmark seed and the embedded servers."""

    name = "devtools"
