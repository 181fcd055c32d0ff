import os

import pytest

from tests.factories import PASSWORD, person
from tests.storage import s3_bucket, s3_server, upload_storage  # noqa: F401  (both upload stores)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def port_nothing_listens_on() -> int:
    """A local port that is free right now (bound, then closed): for tests of a service that cannot be reached.
    Never a fixed number: another Redis or server on this machine may hold any fixed port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the Redis cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _priority_areas(request):
    """Transactional tests truncate every table, data-migration rows included, and the truncation stays for the
    tests after them: put the vocabulary back before every test that touches the database, whatever ran before."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("live_server", "transactional_db")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    elif marker is None and "db" not in request.fixturenames:
        return
    else:
        request.getfixturevalue("db")
    from crossector.core.models import PriorityArea
    from crossector.core.vocabulary import PRIORITY_AREAS

    if PriorityArea.objects.count() < len(PRIORITY_AREAS):
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


def login_with_mfa(client, user):
    """Sign `user` in as if they had entered their password and a TOTP code: the state the admin requires.

    Gives the user a TOTP authenticator when they have none, and records both steps in the session the way
    allauth does after a real two-factor login.
    """
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": authenticator.pk, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client


def mfa_enrolment_link(user) -> str:
    """The path of the newest two-factor set-up link emailed to `user`, read from the outbox as a person
    reads their email (crossector/core/mfa_enrolment.py)."""
    import re

    from crossector.core.models import OutboundEmail

    email = OutboundEmail.objects.filter(user=user, idempotency_key__startswith="mfa-enrolment-").latest("pk")
    return re.search(r"/accounts/2fa/totp/email/[^/\s]+/", email.body_text).group(0)


@pytest.fixture
def staff_client(client, staff_user):
    """A client signed in as a programme staff superuser who completed two-factor authentication."""
    return login_with_mfa(client, staff_user)
