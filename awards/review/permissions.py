"""Who reviews, and what a reviewer may open: the one place the reviewers' boundary is drawn.

A reviewer is a staff account (so the admin opens for them, behind two-factor authentication) in the
"Reviewers" group. The group holds one permission: view `ApplicationToReview`, the proxy the reviewers'
admin is built on. It holds none on `Application`, so the staff application admin, its exports and its
actions stay closed to reviewers; the reviewers' admin then narrows the proxy to the applications the
reviewer is assigned to and has not declared a conflict on.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet

REVIEWERS_GROUP = "Reviewers"

# (codename, name) on the ApplicationToReview proxy. Reviews are written through the reviewers' own admin
# pages, which check the assignment, so no change permission is needed (or given).
REVIEWER_PERMISSIONS = (("view_applicationtoreview", "Can view application to review"),)


def reviewers_group_ensure() -> Group:
    """The "Reviewers" group with exactly its permissions. Safe to run again, and before any data exists.

    The permission rows are made if missing (a proxy's permissions use the proxy's own content type), so
    this also works straight after a test database was flushed.
    """
    from awards.models import ApplicationToReview

    group, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    content_type = ContentType.objects.get_for_model(ApplicationToReview, for_concrete_model=False)
    perms = [
        Permission.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})[0]
        for codename, name in REVIEWER_PERMISSIONS
    ]
    group.permissions.set(perms)
    return group


def is_programme_staff(user) -> bool:
    """Staff who see every application (and every review): those with the permission on `Application`."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm("awards.view_application"))


def can_open_review_admin(user) -> bool:
    """The reviewers' admin opens for reviewers (the proxy permission) and for programme staff."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.has_perm("awards.view_applicationtoreview") or user.has_perm("awards.view_application"))
    )


def can_be_assigned(user) -> tuple[bool, str]:
    """Only someone who can open the reviewers' admin can be given an application to review."""
    if not user.is_active:
        return False, f"{user} cannot sign in (the account is inactive)."
    if not user.is_staff or not user.has_perm("awards.view_applicationtoreview"):
        return False, f"{user} is not a reviewer: add them to the {REVIEWERS_GROUP} group with staff status."
    return True, ""


def reviewers() -> QuerySet:
    """Everyone who can be assigned: active staff accounts in the Reviewers group, by name."""
    return (
        get_user_model()
        .objects.filter(groups__name=REVIEWERS_GROUP, is_active=True, is_staff=True)
        .select_related("profile")
        .order_by("profile__full_name", "email")
        .distinct()
    )


def applications_reviewable_by(user, queryset):
    """Narrow `queryset` (applications or the proxy) to those `user` may open in the reviewers' admin.

    Programme staff: every application with a reviewer still on it. A reviewer: only those assigned to
    them on which they have not declared a conflict (the same rule as `awards.access.application_role`).
    Anyone else: none.
    """
    from awards.models import ReviewerAssignment

    if not can_open_review_admin(user):
        return queryset.none()
    active = ReviewerAssignment.objects.filter(application=OuterRef("pk"), conflict_declared_at__isnull=True)
    if not is_programme_staff(user):
        active = active.filter(reviewer=user)
    return queryset.filter(Exists(active))
