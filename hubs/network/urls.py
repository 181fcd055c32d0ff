from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("connections/", views.connections, name="connections"),
    path("people/<int:user_id>/", views.person_detail, name="person"),
    path("people/<int:user_id>/connect/", views.request_create, name="request_create"),
    path("people/<int:user_id>/block/", views.block, name="block"),
    path("people/<int:user_id>/unblock/", views.unblock, name="unblock"),
    path("people/<int:user_id>/report/", views.report, name="report"),
    path("requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/accept/", views.request_reply, {"action": "accept"}, name="request_accept"),
    path("requests/<int:request_id>/decline/", views.request_reply, {"action": "decline"}, name="request_decline"),
    path("requests/<int:request_id>/withdraw/", views.request_reply, {"action": "withdraw"}, name="request_withdraw"),
    path("events/<slug:slug>/", views.event_people, name="event_people"),
]
