"""schema.org Event data for an event page, as JSON-LD: what search engines and calendar tools read.

Only what the public page itself shows: never the online joining link (it is for confirmed attendees), never
who is coming. Times are in UK time with their offset (GMT +00:00 or BST +01:00), as the page shows them.
"""

import json
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from .models import Event

UK = ZoneInfo("Europe/London")
SCHEMA = "https://schema.org/"
ATTENDANCE = {
    Event.Format.IN_PERSON: "OfflineEventAttendanceMode",
    Event.Format.ONLINE: "OnlineEventAttendanceMode",
    Event.Format.HYBRID: "MixedEventAttendanceMode",
}
ACADEMY = "Academy of Medical Sciences"


def event_structured_data(*, event: Event) -> dict:
    """The schema.org Event for this event's public page."""
    url = f"{settings.SITE_URL}{event.get_absolute_url()}"
    locations = []
    if event.has_venue:
        place = {"@type": "Place", "name": event.venue_name or "Venue to be confirmed"}
        if event.address:
            place["address"] = {
                "@type": "PostalAddress",
                "streetAddress": ", ".join(line.strip() for line in event.address.splitlines() if line.strip()),
                "addressCountry": "GB",
            }
        locations.append(place)
    if event.is_online:
        locations.append({"@type": "VirtualLocation", "url": url})  # the page, not the joining link
    organiser = {"@type": "Organization", "name": event.hub.name if event.hub else ACADEMY}
    if event.hub:
        organiser["url"] = f"{settings.SITE_URL}{event.hub.get_absolute_url()}"
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "url": url,
        "startDate": event.starts_at.astimezone(UK).isoformat(),
        "endDate": event.ends_at.astimezone(UK).isoformat(),
        "eventStatus": SCHEMA + ("EventCancelled" if event.status == Event.Status.CANCELLED else "EventScheduled"),
        "eventAttendanceMode": SCHEMA + ATTENDANCE.get(event.format, ATTENDANCE[Event.Format.IN_PERSON]),
        "location": locations[0] if len(locations) == 1 else locations,
        "organizer": organiser,
        "isAccessibleForFree": True,
        "offers": {
            "@type": "Offer",
            "price": "0",
            "priceCurrency": "GBP",
            "url": f"{settings.SITE_URL}{reverse('events:book', kwargs={'slug': event.slug})}",
        },
    }
    if event.summary:
        data["description"] = event.summary
    return data


def json_ld(data: dict) -> SafeString:
    """JSON safe inside <script type="application/ld+json">: <, > and & escaped, so no text in the data
    (an event title typed by staff) can close the script element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026"))  # noqa: S308
