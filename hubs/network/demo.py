"""Demo directory for `seed_demo`: 36 people across every sector and region, idempotent."""

from crossector.core.demo import person_ensure
from crossector.core.models import Profile, User
from crossector.core.vocabulary import Region, Sector

FIRST = [
    "Amara",
    "Bryn",
    "Catrin",
    "Declan",
    "Elin",
    "Farah",
    "Gareth",
    "Hana",
    "Iwan",
    "Jasmine",
    "Kofi",
    "Lowri",
    "Mairi",
    "Niall",
    "Olu",
    "Padma",
    "Rhys",
    "Siân",
    "Tariq",
    "Una",
    "Vikram",
    "Wen",
    "Yusuf",
    "Zara",
    "Angus",
    "Bethan",
    "Chidi",
    "Dafydd",
    "Eilidh",
    "Fergus",
    "Grace",
    "Hamish",
    "Isla",
    "Jonah",
    "Kirsty",
    "Leon",
]
LAST = [
    "Okafor",
    "Jones",
    "Campbell",
    "Patel",
    "Davies",
    "Murray",
    "Hughes",
    "Begum",
    "Fraser",
    "Evans",
    "Singh",
    "Morgan",
]
ORGS = {
    Sector.NHS: ("NHS trust", "Clinical scientist"),
    Sector.INDUSTRY_LARGE: ("Pharma plc", "Director of data science"),
    Sector.INDUSTRY_SME: ("Analytics Ltd", "Founder"),
    Sector.ACADEMIA: ("University", "Senior lecturer"),
    Sector.REGULATOR: ("Regulatory agency", "Policy lead"),
    Sector.GOVERNMENT: ("Health department", "Policy adviser"),
    Sector.CHARITY: ("Health charity", "Research manager"),
    Sector.PATIENTS_PUBLIC: ("Patient panel", "Patient partner"),
    Sector.OTHER: ("Design studio", "Service designer"),
}
AREAS = ["genomics", "pathology", "drug-development", "medical-imaging", "cell-gene-therapy"]
OPEN_TO = Profile.OPEN_TO_FIELDS


def _people():
    sectors, regions = list(Sector), list(Region)
    for i, first in enumerate(FIRST):
        sector = sectors[i % len(sectors)]
        region = regions[i % len(regions)]
        org, title = ORGS[sector]
        interests = [AREAS[i % len(AREAS)]] + ([AREAS[(i + 2) % len(AREAS)]] if i % 3 == 0 else [])
        yield (
            {
                "email": f"network{i + 1:02d}@example.org",
                "full_name": f"{first} {LAST[i % len(LAST)]}",
                "organisation": f"{region.label.split(': ')[-1]} {org}",
                "job_title": title,
                "sector": sector,
                "region": region,
                "interests": interests,
                "bio": f"I work on {interests[0].replace('-', ' ')} and want to meet people from other sectors.",
            },
            {name: (i + k) % 4 == 0 for k, name in enumerate(OPEN_TO)},
        )


def _list(user: User, **open_to) -> None:
    Profile.objects.filter(user=user).update(directory_listed=True, **open_to)


def seed(users: dict[str, User]) -> str:
    """Opt the demo attendee and applicant into the directory and add 36 listed people."""
    for role in ("attendee", "applicant"):
        if role in users:
            _list(users[role], open_to_collaborating=True)
    for details, open_to in _people():
        _list(
            person_ensure(**details),
            open_to_collaborating=True,
            **{k: v for k, v in open_to.items() if k != "open_to_collaborating"},
        )
    listed = Profile.objects.filter(directory_listed=True).count()
    return f"People directory: {listed} people listed."
