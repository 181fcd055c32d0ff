import os

import pytest

from tests.factories import PASSWORD, person

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the Redis cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return person()


@pytest.fixture
def staff_user(db):
    return person(is_staff=True, is_superuser=True)


@pytest.fixture
def signed_in_client(client, user):
    client.force_login(user)
    return client
