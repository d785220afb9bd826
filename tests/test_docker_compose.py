"""docker-compose.yml cannot run here (no Docker engine), so its structure is checked."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_like_services_with_health_checks():
    services = load()["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "partnerhub", "worker"]
    assert "beat" in services["beat"]["command"]


def test_app_services_wait_for_healthy_db_and_redis_and_the_migration():
    services = load()["services"]
    for name in ("web", "worker", "beat"):
        deps = services[name]["depends_on"]
        assert deps["db"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "partnerhub.settings.prod"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert env["REDIS_URL"].startswith("redis://redis:6379")


def test_the_database_lives_on_a_volume_and_the_image_builds_from_the_dockerfile():
    compose = load()
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    assert "pgdata" in compose["volumes"]
    assert compose["services"]["web"]["build"] == "."
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "collectstatic" in dockerfile
    assert "USER partnerhub" in dockerfile  # not root in production
