# One image for api, worker, beat and flower. Installed from source: the distribution is never
# published. Every dependency comes pinned and hash-checked from requirements.lock.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY coverage ./coverage
COPY workers ./workers
# The build backend is the locked one, and --no-deps installs nothing the lock did not check.
RUN pip install --no-cache-dir --no-deps --no-build-isolation .
COPY payer_rules ./payer_rules
COPY examples ./examples
RUN useradd --system --uid 10001 iop && chown -R iop /app
USER iop
EXPOSE 8000
CMD ["iop-coverage", "serve", "--host", "0.0.0.0"]
