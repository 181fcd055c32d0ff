"""One convention for every page title: "[Error: ]<the page> – Cross-Sector Programme – Academy of Medical Sciences".

Templates name only the page (`{% block title %}`); base.html adds the service and, when the page shows errors,
the "Error: " prefix (WCAG 2.4.2, as GOV.UK services do), so a new form page gets it without remembering to.
"""

from collections.abc import Iterable

from django import template
from django.forms import BaseForm, ModelChoiceField
from django.forms.formsets import BaseFormSet

register = template.Library()

# Context names views use for errors that are not a form's: a list of summary entries, or one message.
ERROR_NAMES = ("errors", "submit_error")


def _has_errors(value) -> bool:
    # type(), not isinstance(): isinstance() would evaluate the context's lazy objects (the CSRF token, the user),
    # setting a cookie and reading the session on pages that use neither, which keeps them out of the page cache.
    kind = type(value)
    if issubclass(kind, BaseForm):
        return value.is_bound and bool(value.errors)
    if issubclass(kind, BaseFormSet):
        return value.is_bound and (value.total_error_count() > 0)
    return False


def context_has_errors(context) -> bool:
    """Does the page being rendered show errors: a bound form or formset with errors, or an error list?"""
    values = context.flatten()
    if any(values.get(name) for name in ERROR_NAMES if type(values.get(name)) in (list, tuple, str)):
        return True
    return any(_has_errors(value) for value in values.values())


@register.simple_tag(takes_context=True)
def title_error_prefix(context) -> str:
    return "Error: " if context_has_errors(context) else ""


def _choice_labels(field) -> dict[str, str]:
    labels = {}
    for value, label in getattr(field, "choices", ()):
        if isinstance(label, list | tuple):  # a group of choices
            labels.update({str(getattr(v, "value", v)): str(lab) for v, lab in label})
        else:
            labels[str(getattr(value, "value", value))] = str(label)
    return labels


@register.simple_tag
def list_title(form=None, page=None) -> str:
    """What makes this view of a filtered, paged list a different page from the others, for its title:
    ` – sector: Academia; region: Wales (page 2 of 4)`. Empty for the unfiltered first page."""
    parts = []
    if form is not None and form.is_bound:
        for bound in form:
            raw = bound.value()
            values = [v for v in (raw if isinstance(raw, list | tuple) else [raw]) if v not in (None, "", False)]
            if not values:
                continue
            if values == [True]:
                parts.append(str(bound.label).lower())
                continue
            chosen = getattr(form, "cleaned_data", {}).get(bound.name)
            if isinstance(bound.field, ModelChoiceField) and chosen:
                # The rows validation already fetched: listing the field's choices would cost a query per page.
                shown = ", ".join(str(row) for row in (chosen if isinstance(chosen, Iterable) else [chosen]))
            else:
                labels = _choice_labels(bound.field)
                shown = ", ".join(labels.get(str(v), f"“{v}”") for v in values)
            parts.append(f"{str(bound.label).lower()}: {shown}")
    title = f" – {'; '.join(parts)}" if parts else ""
    if page is not None and page.number > 1:
        title += f" (page {page.number} of {page.paginator.num_pages})"
    return title


def _changelist_filters(cl) -> str:
    """The filters, date drill-down, search and page a change list shows, in words."""
    parts = []
    for spec in getattr(cl, "filter_specs", ()):
        chosen = [str(c["display"]) for c in spec.choices(cl) if c.get("selected") and c.get("query_string") != "?"]
        chosen = [c for c in chosen if c != "All"]
        if chosen:
            parts.append(f"{spec.title}: {', '.join(chosen)}")
    if cl.date_hierarchy:
        field = cl.date_hierarchy
        units = [f"{field}__{unit}" for unit in ("year", "month", "day")]
        when = "-".join(cl.params[unit] for unit in units if unit in cl.params)
        if when:
            parts.append(f"{cl.model._meta.get_field(field).verbose_name}: {when}")
    if cl.query:
        parts.append(f"search: “{cl.query}”")
    title = f" – {'; '.join(parts)}" if parts else ""
    if cl.page_num > 1:
        title += f" (page {cl.page_num} of {cl.paginator.num_pages})"
    return title


@register.simple_tag(takes_context=True)
def admin_title(context) -> str:
    """The admin's titles under the same rule as the portal's: the page, what it shows (the object, the list's
    filters and page), the service; "Error: " first when the page shows errors. Django's change form and
    change list add their own "Error: " for their own forms' errors, so it is added here only for other forms
    on those pages (assigning a reviewer from the application page) and on every other admin page."""
    title = str(context.get("title") or "")
    subtitle = context.get("subtitle")
    obj = context.get("object")
    if not subtitle and obj is not None and str(obj) not in title:
        subtitle = str(obj)  # "Delete" and "Cannot delete" pages name the object
    if not subtitle and context.get("objects_name") and context.get("queryset") is not None:
        subtitle = f"{len(context['queryset'])} {context['objects_name']}"  # deleting several
    cl = context.get("cl")
    if cl is not None and hasattr(cl, "filter_specs"):
        title += _changelist_filters(cl)
    site = context.get("site_title") or "Django site admin"
    formset = getattr(cl, "formset", None)
    django_says_error = ("adminform" in context and context.get("errors")) or (formset is not None and formset.errors)
    prefix = "" if django_says_error else title_error_prefix(context)  # errors of a form beside the admin's own
    return f"{prefix}{subtitle + ' | ' if subtitle else ''}{title} | {site}"
