"""Who may see an application, and which of its fields: the awards half of `crossector.core.access`.

Two rules, each in one place, asked by every rendering of an application (the portal's detail, print and
submitted pages, document downloads, the staff admin page, the reviewers' admin page, the exports and the
emails about it):

- `application_access(request, application)`: the person's role towards it (the applicant, programme staff,
  an assigned reviewer) and whether they are signed in strongly enough for that role (the core policy: the
  applicant after a password, staff and reviewers only after the second factor).
- `application_for_role(application, role)`: the application as that role may see it. Fields the role may not
  see (`FIELD_VISIBILITY`) are blanked on a copy, so no template, export or email can show them by mistake.
  Source of the reviewers' column: DESIGN.md, "Who may see what": a reviewer sees the applications assigned to
  them "without contact details, EDI answers or other reviewers' scores until their own is in" (the scores
  rule lives in `awards.review.selectors.review_page`).
"""

from __future__ import annotations

import copy

from django.db.models import prefetch_related_objects
from django.http import HttpRequest

from crossector.core.access import Decision, Role, access_decide

from .models import Application

# Each field of an application that not every role with access may see, and the roles that may see it.
# A field not listed here is shown to every role that may open the application.
FIELD_VISIBILITY: dict[str, frozenset[Role]] = {
    "applicant.email": frozenset({Role.OWNER, Role.STAFF}),
    "partner.contact_email": frozenset({Role.OWNER, Role.STAFF}),
    "signatory.signatory_name": frozenset({Role.OWNER, Role.STAFF}),
    "signatory.signatory_email": frozenset({Role.OWNER, Role.STAFF}),
}


def field_visible(*, role: Role, field: str) -> bool:
    """May `role` see `field` ("partner.contact_email", ...) of an application it may open?"""
    allowed = FIELD_VISIBILITY.get(field)
    return allowed is None or role in allowed


def application_role(user, application: Application) -> tuple[Role | None, str]:
    """The role `user` holds towards `application`, whatever their sign-in strength, and why.

    The applicant is the owner. Programme staff are active staff accounts with `awards.view_application`.
    A reviewer is an account that may open the reviewers' admin and has an assignment on the application
    with no conflict declared: the same rule as `awards.review.permissions.applications_reviewable_by`.
    """
    from .review.permissions import can_open_review_admin, is_programme_staff

    if not user.is_authenticated:
        return None, "Sign in to see this application."
    if application.applicant_id == user.pk:
        return Role.OWNER, "You made this application."
    if is_programme_staff(user):
        return Role.STAFF, "Programme staff see every application."
    if (
        can_open_review_admin(user)
        and application.reviewer_assignments.filter(reviewer=user, conflict_declared_at__isnull=True).exists()
    ):
        return Role.REVIEWER, "You are assigned to review this application."
    return None, "Only the applicant, programme staff and assigned reviewers may see this application."


def application_access(request: HttpRequest, application: Application) -> Decision:
    """May the person behind `request` see `application` now? A `Decision` with their role.

    Refused with `needs` set when they hold a role but have not used their second factor in this session;
    refused without a role (show a 404) when they have none. Views turn a refusal into a response with
    `crossector.core.access.access_refusal`.
    """
    role, reason = application_role(request.user, application)
    return access_decide(request=request, role=role, reason=reason)


def _redacted(obj, fields: list[str]):
    clone = copy.copy(obj)
    for name in fields:
        setattr(clone, name, "")
    clone._redacted = True  # never saved: see `application_for_role`
    return clone


def application_for_role(application: Application, role: Role) -> Application:
    """`application` as `role` may see it: a copy with every field `FIELD_VISIBILITY` hides from `role` blank.

    The copy's applicant, partners and signatory requests are copies too (blanked the same way); the original
    and the database are untouched. Expects `partners` and `signatory_requests` prefetched (as
    `awards.selectors.application_for_summary` does) when a page shows them. The copy is for reading only.
    """
    hidden = {f for f in FIELD_VISIBILITY if not field_visible(role=role, field=f)}
    if not hidden:
        return application
    # Hidden fields of related rows must come from the copies below, never from a fresh query.
    prefetch_related_objects([application], "partners", "signatory_requests")
    clone = copy.copy(application)
    clone._redacted = True
    cache = dict(getattr(application, "_prefetched_objects_cache", {}))
    groups = {
        "partners": [f.split(".", 1)[1] for f in hidden if f.startswith("partner.")],
        "signatory_requests": [f.split(".", 1)[1] for f in hidden if f.startswith("signatory.")],
    }
    for relation, fields in groups.items():
        if relation in cache and fields:
            redacted = [_redacted(obj, fields) for obj in cache[relation]]
            queryset = cache[relation]._clone()
            queryset._result_cache = redacted
            queryset._prefetch_done = True
            cache[relation] = queryset
    clone._prefetched_objects_cache = cache
    if "applicant.email" in hidden:
        clone.applicant = _redacted(application.applicant, ["email"])
    return clone
