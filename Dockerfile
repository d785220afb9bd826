# Production-like image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=partnerhub.settings.prod

WORKDIR /app
COPY pyproject.toml README.md ./
COPY partnerhub ./partnerhub
COPY programs ./programs
COPY partners ./partners
COPY journey ./journey
COPY payouts ./payouts
RUN pip install .
COPY . .
# collectstatic needs settings, not a database or a real secret.
RUN SECRET_KEY=collectstatic DATABASE_URL=postgresql://build@localhost/build \
    python manage.py collectstatic --noinput
RUN useradd --create-home partnerhub && mkdir -p /app/.data && chown -R partnerhub /app/.data
USER partnerhub
EXPOSE 8000
CMD ["gunicorn", "partnerhub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
