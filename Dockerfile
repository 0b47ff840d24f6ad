# Production image: gunicorn on portal.settings.production; the same image runs the Celery worker
# and beat (docker-compose.yml overrides the command). Secrets come from the environment at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# A fixed numeric id: Kubernetes' runAsNonRoot checks it (deploy/k8s/ runs as 10001).
RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin portal

# The TrueType Chinese font embedded in decision-package PDFs (settings.PDF_CJK_FONT_FILE), and
# pg_dump/pg_restore for `manage.py backup` / `restore` (bookworm's client is 15, as the server).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a code change does not reinstall them. pyproject lists no packages
# (`packages = []`): this installs the dependencies only; the code runs from /app.
COPY pyproject.toml README.md ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# Static files are baked into the image (whitenoise serves them). The secret is a build-time
# dummy: collectstatic needs settings to load, and nothing signed at build time is kept.
RUN DJANGO_SETTINGS_MODULE=portal.settings.production \
    DJANGO_SECRET_KEY=build-only-not-a-secret-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput --verbosity 0 \
 && rm -rf var/broker var/portal.sqlite3* \
 && mkdir -p /data/media \
 && chown -R portal:portal /app/var /data/media

USER 10001:10001
ENV DJANGO_SETTINGS_MODULE=portal.settings.production \
    DJANGO_MEDIA_ROOT=/data/media
VOLUME ["/data/media"]
EXPOSE 8000

# Django writes one JSON line per request (with its request id): no gunicorn access log.
CMD ["gunicorn", "portal.wsgi", "--bind=0.0.0.0:8000", "--workers=3", "--no-control-socket"]
