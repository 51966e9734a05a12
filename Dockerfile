# front-end packages from npm (package-lock.json): the battle map's clustering plugin
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=qianwan.settings.production
WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN pip install --no-cache-dir -c constraints.txt -e . \
 && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput -v0
RUN useradd --system --home /app qianwan && mkdir -p /app/var && chown -R qianwan /app/var
USER qianwan
EXPOSE 8000
# workers, worker class, time-outs: qianwan/gunicorn_conf.py (WEB_CONCURRENCY workers, default 2)
CMD ["gunicorn", "qianwan.wsgi:application", "-c", "qianwan/gunicorn_conf.py"]
