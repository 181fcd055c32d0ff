"""The hubs pages. Served from the events app because a hub's page lists its events, and hubs
must not import events; the namespace stays "hubs"."""

from django.urls import path

from .views import hubs

app_name = "hubs"

urlpatterns = [
    path("", hubs.hub_list, name="list"),
    path("unfollow/<str:token>/", hubs.hub_unfollow_email, name="unfollow_email"),
    path("<slug:slug>/", hubs.hub_detail, name="detail"),
    path("<slug:slug>/follow/", hubs.hub_follow, name="follow"),
    path("<slug:slug>/unfollow/", hubs.hub_unfollow, name="unfollow"),
]
