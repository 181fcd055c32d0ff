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


@pytest.fixture(autouse=True)
def _priority_areas(request):
    """Transactional tests truncate every table, data-migration rows included; put the vocabulary back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("live_server", "transactional_db")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        from crossector.core.models import PriorityArea
        from crossector.core.vocabulary import PRIORITY_AREAS

        for slug, name in PRIORITY_AREAS:
            PriorityArea.objects.get_or_create(slug=slug, defaults={"name": name})


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
