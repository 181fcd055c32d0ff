"""A person's data rights (UK GDPR): download everything held about them, and delete their account.

The core owns the account, the profile, verified addresses, two-factor settings and the email outbox;
every other record belongs to an app. The core imports no app: it reaches each one through the module
named in APP_PROVIDERS (like seed_demo's APP_SEEDERS), which offers

- `export_for(user) -> dict`: that app's records about the person, in a fixed number of queries;
- `erasure_preview(user) -> Summary`: what deletion would erase and keep, for the confirmation page;
- `erase_for(user, *, now) -> Summary`: erase (or anonymise) the records, and say what was kept and why;
- `kept_user_ids(user_ids) -> set[int]` (optional): erased accounts that still have records the policy
  keeps, so their name stays on the account until the last of those records is erased;
- `retention_sweep(*, now) -> dict[str, int]` (optional): the app's retention jobs (see retention.py);
- `held() -> list[Held]` (optional): where that app's records about a person stay after deletion, or are
  left out of the download, and why (see `Held`).

docs/privacy.md explains what is exported, erased and kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from importlib import import_module
from types import ModuleType

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboundEmail, Profile, User

# Apps with records about people, in the order they are exported and erased. Erasure runs the apps
# first (they may queue emails, e.g. a booking cancellation), then the core, which ends the account.
APP_PROVIDERS = ("hubs.privacy", "events.privacy", "awards.privacy")

# The address an erased account is given: `.invalid` can never be delivered to (RFC 2606), the original
# address is free for a new account, and the account can no longer sign in.
ERASED_EMAIL_DOMAIN = "erased.invalid"
# What the admin's action log shows for an entry about someone who deleted their account.
ERASED_REPR = "(a person who deleted their account)"


@dataclass
class Summary:
    """Sentences for a person: what is (or would be) erased, and what is kept and why."""

    erased: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def extend(self, other: Summary) -> None:
        self.erased.extend(other.erased)
        self.kept.extend(other.kept)


@dataclass(frozen=True)
class Held:
    """What happens to a kind of a person's information: erased when they delete their account (ERASED),
    still held afterwards (KEPT), or left out of the download (NOT_IN_DOWNLOAD), and why, in the words that
    every place saying so uses: the privacy notice lists all three; the deletion page and the email after
    deletion list ERASED and KEPT (then what applies to the person alone: their kept applications, say); the
    download's "not_included" is NOT_IN_DOWNLOAD. tests/core/test_privacy_by_kind.py checks they agree.

    `stores` name where, as the marker-search test finds things (tests/core/test_marker_search.py): a
    database column as "table.column" (shell-style patterns, e.g. "awards_application.*"; an outbox row
    also by its idempotency key, "core_outboundemail.body_text@account-7-deleted"), "session", "cache" or
    "uploads". Anything found anywhere else after deletion, or missing from the download, fails.
    """

    ERASED = "erased"
    KEPT = "kept"
    NOT_IN_DOWNLOAD = "not_in_download"

    kind: str
    what: str
    why: str
    stores: tuple[str, ...]
    # The person's email address itself stays in these stores. Everywhere else it is erased, even from text
    # that is kept (a staff note on an application, a report about the person): `addresses_scrub`.
    keeps_address: bool = False

    def holds(self, store: str) -> bool:
        return any(fnmatchcase(store, pattern) for pattern in self.stores)

    @property
    def sentence(self) -> str:
        return f"{self.what}: {self.why}"


def _core_held() -> list[Held]:
    from .retention import retention_period

    return [
        Held(
            Held.ERASED,
            "Your profile",
            "organisation, job title, sector, region, interests, biography and directory choices, and your name "
            "unless an application you submitted is kept (see what we keep).",
            (),
        ),
        Held(
            Held.ERASED,
            "Your email addresses, password and two-factor settings",
            "you are signed out everywhere and cannot sign in again. You can create a new account with the same "
            "address.",
            (),
        ),
        Held(
            Held.ERASED,
            "The text of the emails we sent you",
            "emails not yet sent are cancelled; the record that an email was sent stays, without your address.",
            (),
        ),
        Held(
            Held.ERASED,
            "Your email addresses wherever they appear in what we keep",
            "in our staff's notes, in reports about you and in the record of changes staff made in the admin.",
            (),
        ),
        Held(
            Held.KEPT,
            "The record of changes our staff made to your records in the admin",
            "as long as the record it describes, without your name or email address.",
            (),
        ),
        Held(
            Held.NOT_IN_DOWNLOAD,
            "Your password and your two-factor secrets",
            "only a one-way hash of your password is stored, and the secrets are never shown or sent to anyone.",
            ("core_user.password", "mfa_authenticator.data"),
        ),
        Held(
            Held.NOT_IN_DOWNLOAD,
            "Other people's email addresses, unless you are connected with them",
            "they are those people's information.",
            (),
        ),
        Held(
            Held.NOT_IN_DOWNLOAD,
            "The text of an email we sent to an address you have not confirmed yet",
            "it holds the link that confirms the address; the email itself is listed.",
            (),
        ),
        Held(
            Held.KEPT,
            "Your name on your account, while an application you submitted is kept",
            "an award decision must show who applied; the name is erased with the last such application.",
            ("core_profile.full_name",),
        ),
        Held(
            Held.KEPT,
            "The email telling you that your account has been deleted, sent to your old address",
            f"so that you have a record of what we erased and kept; its text is deleted after "
            f"{retention_period('email_bodies')} and the record that it was sent after "
            f"{retention_period('email_records')}.",
            ("core_outboundemail.*@account-*-deleted",),
            keeps_address=True,
        ),
    ]


def held(kind: str) -> list[Held]:
    """Every declaration of `kind` (Held.ERASED, Held.KEPT or Held.NOT_IN_DOWNLOAD), the core's and each
    app's."""
    found = list(_core_held())
    for module in providers():
        found.extend(getattr(module, "held", list)())
    return [h for h in found if h.kind == kind]


def providers() -> list[ModuleType]:
    modules = []
    for name in APP_PROVIDERS:
        try:
            modules.append(import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


def erased_email(user_id: int) -> str:
    return f"deleted-{user_id}@{ERASED_EMAIL_DOMAIN}"


def is_erased(user: User) -> bool:
    return user.email.endswith("@" + ERASED_EMAIL_DOMAIN)


# --- Download my data ---------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def person_addresses(user: User) -> set[str]:
    """Every address the person has or had, lower-cased: the account's, each one they added (verified or not),
    and each one the portal emailed on their behalf (an address they have since removed)."""
    from allauth.account.models import EmailAddress

    found = {user.email, *EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    found |= set(OutboundEmail.objects.filter(user=user).values_list("to", flat=True).distinct())
    return {address.strip().lower() for address in found if address and not address.endswith(ERASED_EMAIL_DOMAIN)}


def person_emails(user: User, addresses: set[str]):
    """The outbox rows that are the person's: linked to the account, or to none and sent to one of their
    addresses (an email written before the address was known to be theirs)."""
    unlinked = Q()
    for address in addresses:
        unlinked |= Q(to__iexact=address)
    mine = Q(user=user)
    if addresses:
        mine |= Q(user__isnull=True) & unlinked
    return OutboundEmail.objects.filter(mine)


def _core_export(user: User) -> dict:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    profile = Profile.objects.filter(user=user).prefetch_related("interests").first()
    addresses = list(EmailAddress.objects.filter(user=user).order_by("-primary", "email"))
    authenticator_types = sorted(set(Authenticator.objects.filter(user=user).values_list("type", flat=True)))
    emails = person_emails(user, person_addresses(user)).order_by("created_at", "pk")
    unconfirmed = {a.email.lower() for a in addresses if not a.verified}
    profile_data = None
    if profile:
        profile_data = {
            "full_name": profile.full_name,
            "organisation": profile.organisation,
            "job_title": profile.job_title,
            "sector": profile.get_sector_display() if profile.sector else "",
            "region": profile.get_region_display() if profile.region else "",
            "interests": [area.name for area in profile.interests.all()],
            "bio": profile.bio,
            "updated_at": _iso(profile.updated_at),
            "directory": {
                "listed": profile.directory_listed,
                "show_organisation_and_job_title": profile.directory_show_organisation,
                "show_region": profile.directory_show_region,
                "show_interests": profile.directory_show_interests,
                "show_bio": profile.directory_show_bio,
                "open_to": [str(label) for label in profile.open_to_labels],
            },
        }
    return {
        "account": {
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "email_addresses": [{"email": a.email, "verified": a.verified, "primary": a.primary} for a in addresses],
            # Whether two-factor authentication is on, and with what; never the secrets themselves.
            "two_factor_authentication": {"enabled": bool(authenticator_types), "methods": authenticator_types},
        },
        "profile": profile_data,
        "emails_sent_to_you": [
            {
                "to": e.to,
                "subject": e.subject,
                "created_at": _iso(e.created_at),
                "sent_at": _iso(e.sent_at),
                "status": e.get_status_display(),
                # An email to an address not yet confirmed carries the link that confirms it: the download
                # must not let someone confirm an address they added without reading its mailbox.
                "body": "" if e.to.lower() in unconfirmed else e.body_text,
                "body_deleted": not e.body_text,
                "body_left_out": bool(e.body_text) and e.to.lower() in unconfirmed,
                "attachments": [a.get("filename", "") for a in e.attachments],
            }
            for e in emails
        ],
    }


def personal_data_export(*, user: User, now: datetime | None = None) -> dict:
    """Everything the portal holds about one person, as plain JSON-ready data.

    The core's own records come first, then each app's. What is left out (other people's identities,
    reviewers' scores and comments, secrets) is listed under "not_included" so the person knows.
    """
    data = {
        "generated_at": _iso(now or timezone.now()),
        "about": (
            "Your personal information held by the Cross-Sector Programme portal of the Academy of Medical "
            "Sciences. See the privacy notice for why we hold it and for how long."
        ),
        **_core_export(user),
    }
    for module in providers():
        data.update(module.export_for(user))
    # The same declarations as the notice's "What the download leaves out".
    data["not_included"] = [h.sentence for h in held(Held.NOT_IN_DOWNLOAD)]
    return data


def personal_data_json(*, user: User, now: datetime | None = None) -> str:
    return json.dumps(personal_data_export(user=user, now=now), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


# --- Delete my account --------------------------------------------------------------------------------------


def _declared_summary() -> Summary:
    """What deletion erases and keeps for everyone: the declarations the privacy notice lists too."""
    return Summary(
        erased=[h.sentence for h in held(Held.ERASED)],
        kept=[h.sentence for h in held(Held.KEPT)],
    )


def _core_summary(*, keep_name: bool) -> Summary:
    """What applies to this person alone (each app's `erasure_preview` adds its own)."""
    if not keep_name:
        return Summary()
    return Summary(
        kept=[
            "Your name stays only with the submitted applications we keep (below), and is erased with the last of them."
        ]
    )


def account_erasure_preview(*, user: User) -> Summary:
    """What deleting this account would erase and keep, in the words the confirmation page uses: the
    declarations every notice shares, then what applies to this person (bookings cancelled, kept applications)."""
    summary = _declared_summary()
    for module in providers():
        summary.extend(module.erasure_preview(user))
    summary.extend(_core_summary(keep_name=user.pk in _names_still_needed([user.pk])))
    return summary


def account_can_erase(*, user: User) -> tuple[bool, str]:
    """Staff accounts are closed by the programme team: reviews and decisions they made belong to the
    record of other people's applications."""
    if user.is_staff or user.is_superuser:
        return False, "Staff and reviewer accounts are closed by the programme team. Please email us."
    if is_erased(user):
        return False, "This account has already been deleted."
    return True, ""


def _names_still_needed(user_ids: list[int]) -> set[int]:
    needed: set[int] = set()
    for module in providers():
        kept = getattr(module, "kept_user_ids", None)
        if kept:
            needed |= kept(user_ids)
    return needed


def expired_sessions_clear(*, now: datetime | None = None) -> int:
    """Delete sessions past their expiry (Django's `clearsessions`): they can no longer sign anyone in, but
    still hold what allauth recorded at sign-in, the person's email address among it."""
    from django.contrib.sessions.models import Session

    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0
    deleted, _ = Session.objects.filter(expire_date__lt=now or timezone.now()).delete()
    return deleted


def _sessions_end(user: User, *, addresses: set[str], now: datetime) -> None:
    """Delete every session that names the person: signed in as them (`_auth_user_id`), or holding any of
    their addresses anywhere (allauth's sign-in records, a sign-up or password reset in progress), expired or not.

    Changing the password hash and deactivating the account already stop every session from signing in;
    deleting the rows removes what they hold. Database sessions cannot be searched by user, so each one is
    decoded (deletions are rare), after the expired ones are cleared.
    """
    from django.contrib.sessions.models import Session

    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return
    expired_sessions_clear(now=now)
    user_id, needles = str(user.pk), {address.casefold() for address in addresses}
    mine = []
    for session in Session.objects.only("session_key", "session_data").iterator():
        data = session.get_decoded()
        text = json.dumps(data, default=str).casefold()
        if data.get("_auth_user_id") == user_id or any(needle in text for needle in needles):
            mine.append(session.session_key)
    Session.objects.filter(session_key__in=mine).delete()


def _admin_log_erase(user: User, *, addresses: set[str], name: str) -> int:
    """Staff changes to the person's records stay in the admin's action log (who changed what, when), but
    not the person: entries about their account, or whose description or message names them (any of their
    addresses, or their name), lose the
    description ("Recent actions" on the admin home page shows it) and the message."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    about = Q(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk))
    profile = Profile.objects.filter(user=user).first()
    if profile:
        about |= Q(content_type=ContentType.objects.get_for_model(Profile), object_id=str(profile.pk))
    # A very short name ("Al") would match other people's entries; the address and the links above still do.
    for needle in {*addresses, name if len(name) >= 6 else ""} - {""}:
        about |= Q(object_repr__icontains=needle) | Q(change_message__icontains=needle)
    return LogEntry.objects.filter(about).update(object_repr=ERASED_REPR, change_message="")


def account_erase(*, user: User, now: datetime | None = None) -> Summary:
    """Delete a person's account, in one transaction.

    Each app erases or anonymises its records first; then the core blanks the profile (keeping only the
    name while a record the retention policy keeps still needs it), removes verified addresses and
    two-factor authenticators, cancels unsent emails and deletes the text of sent ones, replaces the
    email address, makes the password unusable and deactivates the account, which ends every session.
    A final email to the old address says what was erased and what is kept and why.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    now = now or timezone.now()
    allowed, reason = account_can_erase(user=user)
    if not allowed:
        raise PermissionError(reason)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        old_email = user.email
        addresses = person_addresses(user)
        name = user.get_full_name() if user.get_full_name() != old_email else ""
        summary = _declared_summary()
        keep_name = user.pk in _names_still_needed([user.pk])
        for module in providers():
            summary.extend(module.erase_for(user, now=now))
        summary.extend(_core_summary(keep_name=keep_name))

        profile = Profile.objects.filter(user=user).first()
        if profile:
            profile.interests.clear()
            blank = dict.fromkeys(("organisation", "job_title", "sector", "region", "bio"), "")
            Profile.objects.filter(pk=profile.pk).update(
                full_name=profile.full_name if keep_name else "",
                directory_listed=False,
                **blank,
                **dict.fromkeys(Profile.OPEN_TO_FIELDS, False),
                **dict.fromkeys(Profile.DIRECTORY_SHOW_FIELDS, True),  # back to the defaults
                updated_at=now,
            )
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()

        new_email = erased_email(user.pk)
        mine = person_emails(user, addresses)
        mine.filter(status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING]).delete()
        mine.update(to=new_email, body_text="", body_html="", attachments=[], last_error="")

        _sessions_end(user, addresses=addresses, now=now)
        _admin_log_erase(user, addresses=addresses, name=name)
        user.email = new_email
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["email", "is_active", "password"])
        addresses_scrub(addresses=addresses)

        from .services import email_queue_template

        # Not linked to the account, so that nothing but this one message ties the old address to it;
        # its text is deleted with every other email after RETENTION_OUTBOX_DAYS.
        email_queue_template(
            to=old_email,
            subject="Your account has been deleted",
            template="core/account_deleted",
            context={"name": name, "summary": summary},
            idempotency_key=f"account-{user.pk}-deleted",
        )
    return summary


# What a kept text (a staff note on an application's status, a report about the person) shows where it named
# one of the person's addresses.
ADDRESS_REMOVED = "(email address removed)"


def _text_fields(model) -> list:
    from django.db import models

    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.choices and not f.primary_key
    ]


def addresses_scrub(*, addresses: set[str]) -> int:
    """Remove the person's addresses from every text the portal keeps after their account is deleted.

    What is kept (status history with its staff notes, reports others made about the person, the admin's log)
    may quote an address in free text ("Eligibility checked for Ffion ffion@example.org"). The notice says the
    address is erased, so every text, varchar and JSON column of every model is searched for each address,
    found generically (a column added later is covered without a change here), and each occurrence, in any
    letter case, is replaced by ADDRESS_REMOVED. Sessions are encoded and are deleted instead (_sessions_end).
    One query per model with text columns, plus one per row that names the person: deletions are rare.

    The model registry is read generically, as Django's own `dumpdata` does: the core names no app.
    """
    import re

    from django.apps import apps
    from django.contrib.sessions.models import Session
    from django.db.models import JSONField, TextField
    from django.db.models.functions import Cast

    addresses = {a for a in addresses if a}
    if not addresses:
        return 0
    pattern = re.compile("|".join(re.escape(a) for a in sorted(addresses, key=len, reverse=True)), re.IGNORECASE)

    def scrubbed(text: str, max_length: int | None) -> str:
        text = pattern.sub(ADDRESS_REMOVED, text)
        return text[:max_length] if max_length else text

    changed = 0
    for model in apps.get_models():
        fields = _text_fields(model)
        if model is Session or model._meta.proxy or not fields:
            continue
        casts, match = {}, Q()
        for f in fields:
            column = f.attname
            if isinstance(f, JSONField):  # searched as its text
                column = f"_scrub_{f.attname}"
                casts[column] = Cast(f.attname, TextField())
            for address in addresses:
                match |= Q(**{f"{column}__icontains": address})
        rows = model._base_manager.alias(**casts).filter(match)
        for row in rows.only(model._meta.pk.attname, *(f.attname for f in fields)):
            updates = {}
            for f in fields:
                value = getattr(row, f.attname)
                if isinstance(f, JSONField):
                    text = json.dumps(value, cls=DjangoJSONEncoder)
                    if pattern.search(text):
                        updates[f.attname] = json.loads(pattern.sub(ADDRESS_REMOVED, text))
                elif isinstance(value, str) and pattern.search(value):
                    updates[f.attname] = scrubbed(value, f.max_length)
            if updates:
                changed += model._base_manager.filter(pk=row.pk).update(**updates)
    return changed


def emails_about_erase(*, keys: list[str] = (), key_prefixes: list[str] = ()) -> int:
    """Emails to other people about someone who deleted their account (a connection request, a letter
    request): unsent ones are cancelled; the subject and text of sent ones are deleted. The apps name them
    by their idempotency keys."""
    match = Q(idempotency_key__in=list(keys))
    for prefix in key_prefixes:
        match |= Q(idempotency_key__startswith=prefix)
    emails = OutboundEmail.objects.filter(match)
    emails.filter(status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING]).delete()
    return emails.update(
        subject="(removed: the person it was about deleted their account)", body_text="", body_html="", attachments=[]
    )


def erased_names_clear(*, now: datetime | None = None) -> int:
    """Erased accounts keep their name only while a record the policy keeps (e.g. an awarded application
    during its audit period) still needs it; once the last one is erased, so is the name."""
    named = list(
        Profile.objects.filter(user__email__endswith="@" + ERASED_EMAIL_DOMAIN)
        .exclude(full_name="")
        .values_list("user_id", flat=True)
    )
    if not named:
        return 0
    still_needed = _names_still_needed(named)
    return Profile.objects.filter(user_id__in=set(named) - still_needed).update(full_name="")
