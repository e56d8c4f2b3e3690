# One image for web, worker and beat (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango and HarfBuzz-Subset for WeasyPrint (improvement.syscheck names them); DejaVu fonts
# are shipped in static/fonts. poppler-utils' pdftoppm draws the report's charts for its
# Word version (reporting.word).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The locked packages, hash-checked (make lock writes the lock), in a layer of their own.
COPY requirements/production.txt requirements/production.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/production.txt
COPY pyproject.toml README.md ./
COPY improvement improvement
COPY core core
COPY plans plans
COPY audits audits
COPY reporting reporting
COPY board board
COPY demo demo
# Built by the locked setuptools, not one pip would fetch unchecked.
RUN pip install --no-cache-dir --no-deps --no-build-isolation .
COPY . .
RUN useradd --create-home --uid 1000 app && mkdir -p /app/var && chown -R app /app/var
USER app
# With DEBUG off, as the containers run: its storage writes the manifest of hashed names
# that every page's {% static %} needs. Nothing is signed at build time; the key is a
# placeholder that settings require.
RUN DEBUG=false SECRET_KEY=build-time-placeholder-not-used-at-run-time python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "improvement.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
