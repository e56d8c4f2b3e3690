"""WSGI entry point (gunicorn improvement.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "improvement.settings")
application = get_wsgi_application()
