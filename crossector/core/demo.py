"""Demo people for `seed_demo`. Idempotent: every row is found by a natural key before it is made."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from .models import PriorityArea, Profile, User
from .vocabulary import PRIORITY_AREAS, Region, Sector

DEMO_PASSWORD = "cross-sector-demo"
# The admin needs two-factor authentication. So that people trying the demo can reach it, the demo staff
# and reviewer share this published authenticator setup key: add it to any authenticator app by hand.
# Demo data only; a real account sets up its own key on its first visit to the admin.
DEMO_TOTP_SECRET = "CROSSSECTORDEMOTOTPKEY2345672345"
DEMO_TOTP_ROLES = ("staff", "reviewer")

DEMO_USERS = {
    "applicant": {
        "email": "applicant@example.org",
        "full_name": "Priya Natarajan",
        "organisation": "Cardiff and Vale University Health Board",
        "job_title": "Consultant clinical scientist",
        "sector": Sector.NHS,
        "region": Region.WALES,
        "interests": ["genomics", "pathology"],
    },
    "attendee": {
        "email": "attendee@example.org",
        "full_name": "Tom Ellison",
        "organisation": "Helix Imaging Ltd",
        "job_title": "Head of product",
        "sector": Sector.INDUSTRY_SME,
        "region": Region.SCOTLAND,
        "interests": ["medical-imaging"],
    },
    "staff": {
        "email": "staff@example.org",
        "full_name": "Morgan Reid",
        "organisation": "Academy of Medical Sciences",
        "job_title": "Programme manager",
        "sector": Sector.CHARITY,
        "region": Region.LONDON,
        "interests": [],
        "is_staff": True,
        "is_superuser": True,
    },
    "reviewer": {
        "email": "reviewer@example.org",
        "full_name": "Dr Aisha Karim",
        "organisation": "University of Edinburgh",
        "job_title": "Reader in translational medicine",
        "sector": Sector.ACADEMIA,
        "region": Region.SCOTLAND,
        "interests": ["cell-gene-therapy", "drug-development"],
    },
}


def person_ensure(
    *,
    email,
    full_name,
    organisation,
    job_title,
    sector,
    region,
    interests=(),
    bio="",
    is_staff=False,
    is_superuser=False,
    groups=(),
    password=DEMO_PASSWORD,
) -> User:
    """A verified user with a complete profile; created once, left as it is afterwards."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, is_staff=is_staff, is_superuser=is_superuser)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    profile, created = Profile.objects.get_or_create(
        user=user,
        defaults={
            "full_name": full_name,
            "organisation": organisation,
            "job_title": job_title,
            "sector": sector,
            "region": region,
            "bio": bio,
        },
    )
    if created and interests:
        profile.interests.set(PriorityArea.objects.filter(slug__in=interests))
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def seed() -> dict[str, User]:
    # The data migration adds these; a database that was flushed since still gets them back.
    for slug, name in PRIORITY_AREAS:
        PriorityArea.objects.get_or_create(slug=slug, defaults={"name": name})
    users = {}
    for role, details in DEMO_USERS.items():
        groups = ("Reviewers",) if role == "reviewer" else ()
        users[role] = person_ensure(groups=groups, **details)
        if role in DEMO_TOTP_ROLES:
            totp_ensure(user=users[role], secret=DEMO_TOTP_SECRET)
    return users


def totp_ensure(*, user: User, secret: str) -> None:
    """Give `user` an authenticator app with `secret` (and recovery codes) unless they already have one."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)
