"""Walk every URL pattern that names an object and try A's objects as someone else.

Each pattern with a parameter (an id, pk, slug, token, key, ...) is requested for an object owned by
person A (tests/security/world.py), with GET and POST, as (a) another ordinary member, (b) a reviewer
who is not assigned to A's application (staff, in the Reviewers group, signed in with two factors),
(c) programme staff signed in with a password only (superuser, no second factor), (d) the reviewer who *is*
assigned to A's submitted application, signed in with a password only, (e) an organiser of another hub
(with two factors) and (f) an anonymous visitor. (c) and (d) hold a real role towards A's application: the
access policy must refuse them for their assurance level, not for their role.
A private pattern must answer 403, 404, 405 or a redirect; no pattern, public
or not, may answer with A's personal data (every piece of it carries MARKER) or a 500.

A new pattern with a parameter fails `test_every_parametrised_pattern_is_walked_or_allow_listed` until it
is added to PRIVATE (with how to build A's URL), PUBLIC or TOKEN (each with a reason). Patterns of a
ModelAdmin's object pages (change, delete, history, and any custom ones taking `object_id`) are walked
generically with A's object of that model, so new admin models are covered without editing this file.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.http import int_to_base36

from awards.models import Application, Document
from events.models import Booking
from hubs.network.models import ConnectionRequest
from tests.conftest import login_with_mfa
from tests.factories import person
from tests.security.world import MARKER, World, world_build

pytestmark = pytest.mark.django_db

GUESSED_TOKEN = "Gu3ssedT0ken-not-issued-to-anyone_0123456789abcdef"


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str | None
    callback: Callable
    params: tuple[str, ...]
    admin_model: type | None = None  # the model whose ModelAdmin include() this pattern sits in

    @property
    def key(self) -> str:
        return self.name or self.route

    def url(self, kwargs: dict) -> str:
        """Fill the route's parameters in; works for path() converters and regex groups alike."""
        url = self.route
        for name, value in kwargs.items():
            url = re.sub(rf"\(\?P<{name}>(?:[^()]|\([^()]*\))*\)", str(value), url)
            url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url)
        return "/" + url.replace("^", "").replace("$", "")


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def all_patterns() -> list[Pattern]:
    def walk(patterns, prefix, namespace, model):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                inner = prefix + str(p.pattern)
                yield from walk(p.url_patterns, inner, ns, _admin_model(inner) or model)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                name = f"{namespace}:{p.name}" if namespace and p.name else p.name
                params = tuple(a or b for a, b in _PARAM.findall(route))
                admin_model = model or getattr(getattr(p.callback, "model_admin", None), "model", None)
                yield Pattern(route=route, name=name, callback=p.callback, params=params, admin_model=admin_model)

    return list(walk(get_resolver().url_patterns, "", None, None))


def _admin_model(prefix: str):
    """The model of a ModelAdmin's include(): `admin/<app_label>/<model_name>/`."""
    match = re.fullmatch(r"admin/(\w+)/(\w+)/", prefix)
    if not match:
        return None
    try:
        return apps.get_model(match[1], match[2])
    except LookupError:
        return None


def parametrised_patterns() -> list[Pattern]:
    return [p for p in all_patterns() if p.params]


# --- The reviewed lists -----------------------------------------------------------------------------

# Private: only A (or staff with the right permission) may see or act on these. Each builds A's URL.
PRIVATE: dict[str, Callable[[World], list[dict]]] = {
    "events:booking_cancel": lambda w: [{"booking_id": w.booking.pk}],
    "events:booking_calendar": lambda w: [{"booking_id": w.booking.pk}],
    "events:booking_requirements": lambda w: [{"booking_id": w.booking.pk}],
    "events:check_in": lambda w: [{"slug": w.event.slug}],
    "awards:application": lambda w: [{"pk": w.submitted.pk}, {"pk": w.draft.pk}],
    "awards:submitted": lambda w: [{"pk": w.submitted.pk}],
    "awards:print": lambda w: [{"pk": w.submitted.pk}, {"pk": w.draft.pk}],
    "awards:withdraw": lambda w: [{"pk": w.submitted.pk}],
    "awards:document": lambda w: [{"pk": w.document.pk}, {"pk": w.submitted.documents.first().pk}],
    "network:person": lambda w: [{"user_id": w.owner.pk}],
    "network:request_create": lambda w: [{"user_id": w.owner.pk}],
    "network:block": lambda w: [{"user_id": w.owner.pk}],
    "network:unblock": lambda w: [{"user_id": w.owner.pk}],
    "network:report": lambda w: [{"user_id": w.owner.pk}],
    "network:request_detail": lambda w: [{"request_id": w.connection.pk}],
    "network:request_accept": lambda w: [{"request_id": w.connection.pk}],
    "network:request_decline": lambda w: [{"request_id": w.connection.pk}],
    "network:request_withdraw": lambda w: [{"request_id": w.connection.pk}],
    "admin:auth_user_password_change": lambda w: [{"id": w.owner.pk}],
    "admin:view_on_site": lambda w: [
        {"content_type_id": ContentType.objects.get_for_model(Application).pk, "object_id": w.submitted.pk},
        {"content_type_id": ContentType.objects.get_for_model(Booking).pk, "object_id": w.booking.pk},
    ],
}

# Public: anyone may open these for A's public objects; they must still show none of A's data.
PUBLIC: dict[str, tuple[str, Callable[[World], list[dict]]]] = {
    "hubs:detail": ("a published hub's page", lambda w: [{"slug": w.event.hub.slug}]),
    "hubs:follow": ("the visitor follows a public hub themselves", lambda w: [{"slug": w.event.hub.slug}]),
    "hubs:unfollow": ("the visitor unfollows a hub themselves", lambda w: [{"slug": w.event.hub.slug}]),
    "events:detail": (
        "a published event's page; attendees only for confirmed bookings",
        lambda w: [{"slug": w.event.slug}],
    ),
    "events:calendar": ("a published event's public calendar file", lambda w: [{"slug": w.event.slug}]),
    "events:book": ("the visitor books a published event for themselves", lambda w: [{"slug": w.event.slug}]),
    "awards:call": ("a published award call", lambda w: [{"slug": w.draft.call.slug}]),
    "awards:apply": (
        "the visitor's own start page or task list for a public call",
        lambda w: [{"slug": w.draft.call.slug}],
    ),
    # The applying pages take the call's slug and always act on the visitor's own draft for that call (the
    # walk's POST to awards:apply starts one for the visitor); A's draft is never reachable through them.
    "awards:documents": ("the visitor's own draft's documents", lambda w: [{"slug": w.draft.call.slug}]),
    "awards:signatory_request": (
        "asks a signatory for the visitor's own draft",
        lambda w: [{"slug": w.draft.call.slug, "kind": "employer_statement"}],
    ),
    "awards:check": ("the visitor's own draft's check-your-answers page", lambda w: [{"slug": w.draft.call.slug}]),
    "awards:section": (
        "a section of the visitor's own draft",
        lambda w: [{"slug": w.draft.call.slug, "section": s} for s in ("you", "partners", "proposal", "costs")],
    ),
    "network:event_people": (
        "people to meet: shown only to confirmed, consenting attendees; others see why",
        lambda w: [{"slug": w.event.slug}],
    ),
    "admin:app_list": (
        "an app's list of models, no object",
        lambda w: [{"app_label": "awards"}, {"app_label": "events"}],
    ),
    "admin/(?P<url>.*)$": (
        "the admin's catch-all: a redirect to sign in or a 404",
        lambda w: [{"url": f"awards/application/{w.submitted.pk}/"}],
    ),
}

# Capability links: whoever holds the token may use it. Walked with a token nobody was issued.
TOKEN: dict[str, tuple[str, Callable[[World], list[dict]]]] = {
    "account_confirm_email": ("email verification link", lambda w: [{"key": GUESSED_TOKEN}]),
    "account_reset_password_from_key": (
        "password reset link (A's real uidb36, a guessed key)",
        lambda w: [{"uidb36": int_to_base36(w.owner.pk), "key": "set-password-guess"}],
    ),
    "hubs:unfollow_email": ("unfollow link in hub emails (signed)", lambda w: [{"token": GUESSED_TOKEN}]),
    "awards:signatory_upload": ("the signatory's upload link", lambda w: [{"token": GUESSED_TOKEN}]),
    "mfa_enrolment_link": (
        "emailed two-factor set-up link (signed, names its user)",
        lambda w: [{"token": GUESSED_TOKEN}],
    ),
}


def is_generic_admin_object_page(pattern: Pattern) -> bool:
    return pattern.admin_model is not None and pattern.params == ("object_id",)


def test_every_parametrised_pattern_is_walked_or_allow_listed():
    unknown = [
        p.key
        for p in parametrised_patterns()
        if not is_generic_admin_object_page(p) and p.key not in PRIVATE | PUBLIC | TOKEN
    ]
    assert unknown == [], (
        "New URL patterns take an id, slug or token but are not in the URL walk. Add each to PRIVATE "
        f"(with A's object), PUBLIC or TOKEN (with a reason) in {__file__}: {unknown}"
    )


def test_the_lists_name_no_pattern_that_is_gone():
    keys = {p.key for p in parametrised_patterns()}
    assert (set(PRIVATE) | set(PUBLIC) | set(TOKEN)) - keys == set()


# --- The walk ---------------------------------------------------------------------------------------


def _admin_kwargs(world: World, pattern: Pattern) -> tuple[list[dict], bool]:
    """A's object of the admin's model when A has one (strict), else any row of it (no-leak check only)."""
    model = pattern.admin_model
    owned = world.owned_object_of(model)
    if owned is not None:
        return [{"object_id": owned.pk}], True
    row = model._default_manager.order_by("pk").first()
    return [{"object_id": row.pk if row else 999_999}], False


def _plan(world: World) -> list[tuple[Pattern, dict, bool]]:
    """(pattern, kwargs, strict) for every parametrised pattern; strict means 403/404/405/redirect only."""
    plan = []
    for pattern in parametrised_patterns():
        if pattern.key in PRIVATE:
            plan += [(pattern, kw, True) for kw in PRIVATE[pattern.key](world)]
        elif pattern.key in PUBLIC:
            plan += [(pattern, kw, False) for kw in PUBLIC[pattern.key][1](world)]
        elif pattern.key in TOKEN:
            plan += [(pattern, kw, False) for kw in TOKEN[pattern.key][1](world)]
        elif is_generic_admin_object_page(pattern):
            kwargs_list, strict = _admin_kwargs(world, pattern)
            plan += [(pattern, kw, strict) for kw in kwargs_list]
    return plan


def _problems(response, *, strict: bool, actor: str, method: str, url: str) -> list[str]:
    found = []
    status = response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if status >= 500:
        found.append(f"{actor} {method} {url}: {status}")
    if MARKER.encode() in body.lower() or MARKER in response.headers.get("Location", "").lower():
        found.append(f"{actor} {method} {url}: {status} shows A's personal data")
    if strict and not (300 <= status < 400 or status in (403, 404, 405)):
        found.append(f"{actor} {method} {url}: {status}, expected 403/404/405 or a redirect")
    if actor == "anonymous" and strict and 300 <= status < 400:
        location = response.headers["Location"]
        if not any(part in location for part in ("/accounts/login/", "/admin/login/")) and not location.startswith(
            ("/events/", "/awards/", "/network/", "/hubs/")
        ):
            found.append(f"{actor} {method} {url}: redirected to {location}")
    return found


def _password_only(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _actors(world: World) -> dict[str, Client]:
    return {
        "second member": _password_only(world.other),
        "reviewer": login_with_mfa(Client(), world.reviewer),
        "staff, password only": _password_only(person(is_staff=True, is_superuser=True, full_name="Sam Staff")),
        "assigned reviewer, password only": _password_only(world.assigned_reviewer),
        "organiser of another hub": login_with_mfa(Client(), world.other_hub_organiser),
        "anonymous": Client(),
    }


@pytest.fixture
def world(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path, "base_url": None}},
    }
    return world_build()


def test_no_one_else_can_reach_a_objects_through_any_parametrised_url(world, capsys):
    plan = _plan(world)
    problems = []
    for actor, client in _actors(world).items():
        for pattern, kwargs, strict in plan:
            url = pattern.url(kwargs)
            for method in ("get", "post"):
                response = getattr(client, method)(url, {"post": "yes"} if method == "post" else None)
                problems += _problems(response, strict=strict, actor=actor, method=method.upper(), url=url)
    assert problems == [], "\n".join(problems)
    walked = {p.key for p, _, _ in plan}
    with capsys.disabled():
        print(f"\nURL walk: {len(walked)} parametrised patterns, {len(plan)} URLs, {len(_actors(world))} actors")
    assert len(walked) == len(parametrised_patterns())
    # Nothing of A's was changed or removed by all those POSTs.
    assert Booking.objects.get(pk=world.booking.pk).status == Booking.Status.CONFIRMED
    assert Application.objects.get(pk=world.submitted.pk).status == Application.Status.SUBMITTED
    assert Application.objects.get(pk=world.draft.pk).status == Application.Status.DRAFT
    assert Document.objects.filter(pk=world.document.pk).exists()
    assert ConnectionRequest.objects.get(pk=world.connection.pk).status == ConnectionRequest.Status.PENDING
    assert world.owner.__class__.objects.filter(pk=world.owner.pk, is_active=True).exists()


def test_a_can_reach_their_own_objects_so_the_walk_is_not_vacuous(world):
    """The same URLs work for A: a refusal above is about who asks, not a broken URL."""
    client = Client()
    client.force_login(world.owner)
    for key in (
        "awards:application",
        "awards:print",
        "awards:document",
        "events:booking_calendar",
        "network:request_detail",
        "events:booking_cancel",
    ):
        pattern = next(p for p in parametrised_patterns() if p.key == key)
        for kwargs in PRIVATE[key](world):
            response = client.get(pattern.url(kwargs))
            assert response.status_code == 200, (key, response.status_code)


def test_non_parametrised_pages_show_no_one_else_a_data(world):
    """Lists, dashboards and exports without an id in the URL: no one but A sees A's data there."""
    skip = {"account_logout"}
    problems, count = [], 0
    for actor, client in _actors(world).items():
        for pattern in all_patterns():
            if pattern.params or pattern.key in skip:
                continue
            url = pattern.url({})
            count += 1
            problems += _problems(client.get(url), strict=False, actor=actor, method="GET", url=url)
    assert problems == [], "\n".join(problems)
    assert count > 6 * 50


def test_admin_actions_such_as_exports_give_others_none_of_a_data(world):
    """Every admin action (CSV exports, emails to attendees, status changes) tried on A's rows."""
    from django.contrib import admin

    problems, tried = [], 0
    for actor, client in _actors(world).items():
        for model, model_admin in admin.site._registry.items():
            owned = world.owned_object_of(model)
            if owned is None:
                continue
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            for action in model_admin.actions or ():
                name = action if isinstance(action, str) else action.__name__
                response = client.post(url, {"action": name, "_selected_action": [owned.pk], "index": 0})
                tried += 1
                problems += _problems(
                    response,
                    strict=actor not in ("reviewer", "organiser of another hub"),
                    actor=actor,
                    method="POST",
                    url=f"{url} action={name}",
                )
    assert problems == [], "\n".join(problems)
    assert tried > 0


def test_the_walk_flags_a_leak_and_an_open_door():
    from django.http import HttpResponse, HttpResponseRedirect

    leak = HttpResponse(f"<p>Zephyrine {MARKER.title()}</p>")
    assert _problems(leak, strict=False, actor="reviewer", method="GET", url="/x/")
    assert _problems(HttpResponse("nothing personal"), strict=True, actor="reviewer", method="GET", url="/x/")
    assert _problems(HttpResponse(status=500), strict=False, actor="reviewer", method="GET", url="/x/")
    assert not _problems(
        HttpResponseRedirect("/accounts/login/?next=/x/"), strict=True, actor="anonymous", method="GET", url="/x/"
    )


def test_the_reviewer_actor_really_is_inside_the_admin(world):
    """Refusals for the reviewer come from permissions, not from the two-factor gate."""
    actors = _actors(world)
    assert actors["reviewer"].get("/admin/").status_code == 200
    assert actors["organiser of another hub"].get("/admin/").status_code == 200


def test_password_only_actors_hold_their_role_and_lack_only_the_second_factor(world):
    """The control for (c) and (d): with the second factor the same people open A's submitted application,
    its document and the admin, so the walk's refusals for them are about assurance, nothing else."""
    urls = [f"/awards/applications/{world.submitted.pk}/", f"/awards/documents/{world.submitted.documents.first().pk}/"]
    for name, user in (
        ("staff", person(is_staff=True, is_superuser=True)),
        ("assigned reviewer", world.assigned_reviewer),
    ):
        weak = _password_only(user)
        for url in urls:
            response = weak.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/"), (name, url)
        strong = login_with_mfa(Client(), user)
        for url in urls:
            assert strong.get(url).status_code == 200, (name, url)


def test_a_signed_out_visitor_cannot_tell_which_private_ids_exist(world):
    """Every private URL answers a signed-out visitor alike for A's real id and for an id nobody has."""
    anonymous = Client()
    differences, compared = [], 0
    for pattern in parametrised_patterns():
        if pattern.key not in PRIVATE:
            continue
        for kwargs in PRIVATE[pattern.key](world):
            if not all(isinstance(v, int) for v in kwargs.values()):
                continue
            missing = dict.fromkeys(kwargs, 987_654)
            for method in ("get", "post"):
                real = getattr(anonymous, method)(pattern.url(kwargs))
                fake = getattr(anonymous, method)(pattern.url(missing))
                compared += 1
                shape = [(r.status_code, r.headers.get("Location", "").split("?")[0]) for r in (real, fake)]
                if shape[0] != shape[1]:
                    differences.append(f"{method.upper()} {pattern.key}: real id {shape[0]}, missing id {shape[1]}")
    assert differences == [], "\n".join(differences)
    assert compared > 20
