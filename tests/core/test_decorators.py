import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory

from crossector.core.decorators import profile_required
from tests.factories import UserFactory, person

pytestmark = pytest.mark.django_db


@profile_required
def book(request):
    return HttpResponse("booked")


def call(user):
    request = RequestFactory().get("/events/talk/book/?x=1")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return book(request)


def test_anonymous_visitor_is_sent_to_sign_in_and_back():
    from django.contrib.auth.models import AnonymousUser

    response = call(AnonymousUser())
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/events/talk/book/%3Fx%3D1"


def test_incomplete_profile_is_sent_to_the_profile_with_the_way_back():
    response = call(UserFactory())
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/?next=%2Fevents%2Ftalk%2Fbook%2F%3Fx%3D1"


def test_complete_profile_passes():
    assert call(person()).content == b"booked"
