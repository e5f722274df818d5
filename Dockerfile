# One image for the web server, the worker and the model service (docker-compose.yml).
FROM python:3.11-slim-bookworm

# The app's user has a fixed UID, so docker-compose.yml can name it (`user: "10001:10001"`); it
# owns only /data: the code and the installed packages stay root's, read-only to the app.
ARG APP_UID=10001
# /data/media and /data/models are created here, owned by the app's user, because Docker fills a
# new named volume from the image's folder at its mount point, ownership included; a folder the
# image lacks would be created root-owned, and the app could not write its uploads or weights.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid "$APP_UID" audio2dtx \
 && useradd --uid "$APP_UID" --gid "$APP_UID" --no-log-init --no-create-home --home-dir /app \
      --shell /usr/sbin/nologin audio2dtx \
 && install -d -o audio2dtx -g audio2dtx -m 0750 /data /data/media /data/models

# NUMBA_CACHE_DIR is in /tmp: the containers' root filesystem is read-only, /tmp a tmpfs.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=/tmp/numba-cache \
    A2D_VAR_DIR=/data A2D_MEDIA_ROOT=/data/media A2D_MODEL_DIR=/data/models
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt \
 && pip install --no-cache-dir --no-deps spleeter==2.4.2
COPY . .
# Settings refuse to start with DEBUG off and no secret key: a throwaway one, for this step only.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput

USER $APP_UID:$APP_UID
EXPOSE 8000
CMD ["gunicorn", "audio2dtx_web.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--timeout", "120"]
