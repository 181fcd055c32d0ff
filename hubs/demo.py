"""Demo hubs for seed_demo: the Wales pilot hub and the Scotland hub. Idempotent (found by slug)."""

from datetime import date

from crossector.core.vocabulary import Region

from .models import Contact, Hub, Partner

HUBS = [
    {
        "slug": "wales",
        "name": "Wales hub",
        "region": Region.WALES,
        "launched_on": date(2022, 11, 17),
        "summary": "The programme's pilot hub, run with Life Sciences Hub Wales.",
        "description": (
            "The Wales hub was the first of the programme's networking hubs. Its events bring clinicians, "
            "companies, universities and Welsh Government teams together around a health challenge, from "
            "precision medicine to digital care closer to home.\n\n"
            "After an event, attendees can apply for hub seed funding to take a new collaboration forward."
        ),
        "partners": [
            (
                "Life Sciences Hub Wales",
                "https://lshubwales.com/",
                "Helps health and social care in Wales work with industry and innovators.",
            )
        ],
        "contacts": [("Rhian Morgan", "Hub lead", "wales.hub@example.org")],
    },
    {
        "slug": "scotland",
        "name": "Scotland hub",
        "region": Region.SCOTLAND,
        "launched_on": date(2023, 9, 1),
        "summary": "Hosted by NHS Research Scotland, connecting Scotland's health research community.",
        "description": (
            "The Scotland hub is hosted by NHS Research Scotland. It connects NHS boards, life sciences companies, "
            "universities and charities across Scotland so that people who could work together meet."
        ),
        "partners": [
            (
                "NHS Research Scotland",
                "https://www.nhsresearchscotland.org.uk/",
                "The partnership of Scottish NHS boards and the Chief Scientist Office that supports research.",
            )
        ],
        "contacts": [("Callum Fraser", "Hub coordinator", "scotland.hub@example.org")],
    },
]


def seed(users) -> str:
    for spec in HUBS:
        spec = dict(spec)
        partners, contacts = spec.pop("partners"), spec.pop("contacts")
        hub, _ = Hub.objects.get_or_create(slug=spec.pop("slug"), defaults=spec)
        for order, (name, website, description) in enumerate(partners):
            Partner.objects.get_or_create(
                hub=hub, name=name, defaults={"website": website, "description": description, "order": order}
            )
        for order, (name, role, email) in enumerate(contacts):
            Contact.objects.get_or_create(hub=hub, name=name, defaults={"role": role, "email": email, "order": order})
    return "Wales hub (Life Sciences Hub Wales) and Scotland hub (NHS Research Scotland)"
