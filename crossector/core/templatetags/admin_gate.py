from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_next_url(context) -> str:
    """The admin page a staff member was on their way to when asked to set up two-factor authentication."""
    from crossector.core.mfa import admin_next_url as next_url

    return next_url(request=context["request"])
