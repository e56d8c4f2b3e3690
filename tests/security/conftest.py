"""The security tests' data set (`tests/security/world.py`), built once per test module
and rolled back after each test, so every test starts from the same data."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import override_settings

from tests.conftest import ensure_role_groups
from tests.security.world import build_world, data_fingerprint

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def module_world(request, django_db_setup, django_db_blocker):
    """Built once per module, inside a transaction rolled back when the module is done.
    A module may set WORLD_TEXT: every free-text field of the data set then carries it."""
    text = getattr(request.module, "WORLD_TEXT", "")
    evidence_name = getattr(request.module, "WORLD_EVIDENCE_NAME", "minutes.pdf")
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        # A transactional test elsewhere may have flushed the migration's role groups.
        ensure_role_groups()
        world = build_world(text, evidence_name=evidence_name)
        world.fingerprint = data_fingerprint()
        files = {
            name: default_storage.open(name).read()
            for name in (
                world.evidence.file.name,
                world.render.pdf.name,
                world.render.docx.name,
                world.published.published_render.pdf.name,
            )
        }
        yield world, files
        transaction.set_rollback(True)


@pytest.fixture
def world(module_world, django_db_blocker, settings, db):
    # `db` too: pytest-django sets up the test database only when a collected test asks
    # for it, so a module run alone (or first) otherwise built the world in var/.
    world, files = module_world
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Each test has its own MEDIA_ROOT (tests/conftest.py): put the files back.
    for name, data in files.items():
        default_storage.save(name, ContentFile(data))
    with django_db_blocker.unblock(), transaction.atomic():
        yield world
        transaction.set_rollback(True)
