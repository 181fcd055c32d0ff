"""The one access policy: may this person, signed in this strongly, see this object?

Every page, download and export that shows someone's personal data asks one question, in two halves:

1. **Which role does this person hold towards this object?** Each app answers for its own objects, because
   only it knows them (`awards.access.application_access`, `events.permissions.can_check_in`, ...): the owner
   of the data, programme staff, an assigned reviewer, a hub organiser, or no role at all.
2. **Is the person signed in strongly enough for that role?** Answered here, once, from `ROLE_ASSURANCE`:
   a person sees their *own* data after a password; every role that shows *someone else's* data needs the
   second factor, the same door as the admin (`crossector.core.mfa`).

`access_decide` joins the halves into a `Decision`, and `access_refusal` turns a refusal into the response:
a 404 when the person has no role (so a stranger learns nothing about whether the object exists), or the
two-factor step when the role is right but the sign-in is too weak. The policy table, by role, is written out
in docs/security.md ("Who may see what"); tests/security/test_url_walk.py walks every URL pattern as people at
each assurance level, so a view that forgets to ask fails a test.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse


class Assurance(enum.IntEnum):
    """How strongly the person behind a request is signed in, weakest first."""

    ANONYMOUS = 0
    PASSWORD = 1
    SECOND_FACTOR = 2


class Role(enum.StrEnum):
    """A person's relation to an object, as the access policy sees it."""

    OWNER = "owner"  # the data is theirs: an applicant's application, an attendee's booking
    STAFF = "staff"  # programme staff: everything the programme holds
    REVIEWER = "reviewer"  # an application assigned to them, no conflict declared
    HUB_ORGANISER = "hub_organiser"  # their own hub's events, bookings and check-in


# The assurance each role needs (DESIGN.md, "Who may see what"): anything beyond a person's own data takes the
# second factor, whichever page, download or export shows it.
ROLE_ASSURANCE: dict[Role, Assurance] = {
    Role.OWNER: Assurance.PASSWORD,
    Role.STAFF: Assurance.SECOND_FACTOR,
    Role.REVIEWER: Assurance.SECOND_FACTOR,
    Role.HUB_ORGANISER: Assurance.SECOND_FACTOR,
}


@dataclass(frozen=True)
class Decision:
    """The policy's answer. `role` is set whenever the person holds one, even if refused for weak sign-in."""

    allowed: bool
    reason: str
    role: Role | None = None
    needs: Assurance | None = None  # set when only a stronger sign-in is missing

    def __bool__(self) -> bool:
        return self.allowed


def assurance_of(request: HttpRequest) -> Assurance:
    """The request's assurance: second factor only when allauth recorded an MFA step in this session.

    Worked out once per request. The rule for "second factor" is the admin's own (`mfa.admin_access_check`
    reads the same records), so the portal's pages and the admin can never disagree about it.
    """
    cached = getattr(request, "_assurance", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        level = Assurance.ANONYMOUS
    else:
        from allauth.account.authentication import get_authentication_records

        records = get_authentication_records(request, user)
        level = Assurance.SECOND_FACTOR if any(r.get("method") == "mfa" for r in records) else Assurance.PASSWORD
    request._assurance = level
    return level


def access_decide(*, request: HttpRequest, role: Role | None, reason: str) -> Decision:
    """Allow `role` only at the assurance `ROLE_ASSURANCE` gives it; no role is always a refusal.

    `reason` says why the person holds the role (or why they hold none) and is passed through for the page.
    """
    if role is None:
        return Decision(False, reason)
    needed = ROLE_ASSURANCE[role]
    if assurance_of(request) < needed:
        return Decision(
            False, "This needs two-factor authentication: enter a code from your authenticator app.", role, needed
        )
    return Decision(True, reason, role)


def signed_out_refusal(request: HttpRequest) -> HttpResponse | None:
    """The sign-in page for a signed-out visitor, asked *before* any object is looked up, or None.

    Private URLs answer a signed-out visitor the same way whether the id exists or not, so nobody learns
    which applications or documents exist by trying ids.
    """
    if request.user.is_authenticated:
        return None
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path())


def access_refusal(*, request: HttpRequest, decision: Decision) -> HttpResponse:
    """The response to a refused `Decision`: the missing sign-in step, or a 404 that tells a stranger nothing.

    A signed-out visitor is sent to sign in (whatever the object, so nothing is learnt); a signed-in person
    whose role needs the second factor is sent to set it up or enter a code; anyone else gets Http404
    (raised), the portal's ordinary "not found" page.
    """
    if (signed_out := signed_out_refusal(request)) is not None:
        return signed_out
    if decision.needs is None:
        raise Http404(decision.reason)
    from crossector.core.mfa import admin_access_check, admin_refusal_response

    return admin_refusal_response(request=request, access=admin_access_check(request=request))
