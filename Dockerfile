# One image for the web server and the worker.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg curl \
 && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 NUMBA_CACHE_DIR=/var/cache/numba \
    A2D_VAR_DIR=/data A2D_MEDIA_ROOT=/data/media A2D_MODEL_DIR=/data/models
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt \
 && pip install --no-cache-dir --no-deps spleeter==2.4.2
COPY . .
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic python manage.py collectstatic --noinput \
 && mkdir -p /data /var/cache/numba && useradd --system --home /app audio2dtx \
 && chown -R audio2dtx /data /var/cache/numba
USER audio2dtx
EXPOSE 8000
CMD ["gunicorn", "audio2dtx_web.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "120"]
