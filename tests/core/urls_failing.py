"""A URL conf with one view that fails, for the tests of what an unhandled error leaves behind."""

from django.urls import path


def fails(request):
    raise RuntimeError("the view failed")


urlpatterns = [path("fails/", fails, name="fails")]
