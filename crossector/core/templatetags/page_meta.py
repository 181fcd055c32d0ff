"""`{% capture as name %}...{% endcapture %}`: render once, use twice. base.html captures the title and
description blocks so the same text fills <title>, the meta description and the Open Graph tags, while
pages keep overriding the plain `{% block title %}` and `{% block description %}`."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


class CaptureNode(template.Node):
    child_nodelists = ("nodelist",)  # so {% block %} inside is found and overridden by child templates

    def __init__(self, nodelist, name):
        self.nodelist = nodelist
        self.name = name

    def render(self, context):
        # Already rendered and escaped by the template engine: mark it safe so it is not escaped twice.
        context[self.name] = mark_safe(" ".join(self.nodelist.render(context).split()))  # noqa: S308
        return ""


@register.tag
def capture(parser, token):
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("Usage: {% capture as name %}...{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])


# URL parameters that are secrets: a page reached through one never repeats its address in its own markup.
SECRET_PARAMETERS = frozenset({"token", "key", "uidb36"})


@register.simple_tag(takes_context=True)
def page_url(context) -> str:
    """The page's public address for `<link rel="canonical">` and `og:url`, or "" when there is none to give:
    a page matched through a secret (a signatory's link, a reset key) or matching no URL at all (an error page)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if request is None or match is None or SECRET_PARAMETERS & set(match.kwargs):
        return ""
    return f"{context.get('site_url', '')}{request.path}"
