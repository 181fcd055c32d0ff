from django.conf import settings
from django.urls import NoReverseMatch, reverse

# (label, url name, path prefix that marks the item current). The apps own these URLs; an app
# that is not installed simply drops out of the menu.
NAV = (
    ("Programme", "home", None),
    ("Hubs", "hubs:list", "/hubs/"),
    ("Events", "events:list", "/events/"),
    ("Awards", "awards:list", "/awards/"),
    ("Network", "network:directory", "/network/"),
)
ACCOUNT_NAV = (
    ("My bookings", "events:my_bookings"),
    ("My applications", "awards:my_applications"),
    ("My connections", "network:connections"),
    ("Your data", "privacy_data"),
)


def _resolve(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def site(request):
    path = request.path
    nav_items = []
    for label, name, prefix in NAV:
        url = _resolve(name)
        if url:
            active = path.startswith(prefix) if prefix else path == url
            nav_items.append({"label": label, "url": url, "active": active})
    account_items = [{"label": label, "url": url} for label, name in ACCOUNT_NAV if (url := _resolve(name))]
    return {
        "nav_items": nav_items,
        "account_items": account_items,
        "contact_email": getattr(settings, "CONTACT_EMAIL", "crosssector@acmedsci.ac.uk"),
        "site_url": settings.SITE_URL,
    }
