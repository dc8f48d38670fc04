# One image for api, worker and beat. Installed from source: the distribution is never published.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY coverage ./coverage
COPY workers ./workers
RUN pip install --no-cache-dir ".[ops]"
COPY payer_rules ./payer_rules
COPY examples ./examples
RUN useradd --system --uid 10001 iop && chown -R iop /app
USER iop
EXPOSE 8000
CMD ["iop-coverage", "serve", "--host", "0.0.0.0"]
