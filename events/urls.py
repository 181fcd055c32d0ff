from django.urls import path

from .views import booking, checkin, listing

app_name = "events"

urlpatterns = [
    path("", listing.event_list, name="list"),
    path("bookings/", booking.my_bookings, name="my_bookings"),
    path("bookings/<int:booking_id>/cancel/", booking.booking_cancel, name="booking_cancel"),
    path("bookings/<int:booking_id>/requirements/", booking.booking_requirements, name="booking_requirements"),
    path("bookings/<int:booking_id>/calendar.ics", booking.booking_calendar, name="booking_calendar"),
    path("<slug:slug>/", listing.event_detail, name="detail"),
    path("<slug:slug>/book/", booking.event_book, name="book"),
    path("<slug:slug>/calendar.ics", listing.event_calendar, name="calendar"),
    path("<slug:slug>/check-in/", checkin.check_in, name="check_in"),
]
