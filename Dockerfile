# Production image: the API (default) or, with `hotline worker` as the command, the delivery worker.
# Build stage: wheels for the project and its pinned dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY hotline ./hotline
COPY routing ./routing
COPY integrations ./integrations
COPY migrations ./migrations
RUN pip wheel --wheel-dir /wheels -c constraints.txt .

# Runtime stage: no compilers, no sources, a non-root user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN groupadd --system hotline && useradd --system --gid hotline --home-dir /app --create-home hotline
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels hotline && rm -rf /wheels
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /app
USER hotline
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["hotline", "serve", "--host", "0.0.0.0", "--port", "8000"]
