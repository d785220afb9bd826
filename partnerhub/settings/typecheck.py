"""Settings for mypy's Django plugin (``[tool.django-stubs]`` in pyproject.toml).

The plugin only imports the settings and the models; it never opens a connection. These
settings therefore start nothing (no embedded PostgreSQL or Redis, unlike ``test``) and name
no real server, so ``make lint`` runs on a machine with neither."""

from .base import *  # noqa: F403

SECRET_KEY = "typecheck-only-not-a-secret"  # noqa: S105
DATABASES["default"]["HOST"] = "typecheck.invalid"  # noqa: F405 - never connected to
