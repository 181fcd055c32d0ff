"""What a paged list with a cached filter form gives its template (templates/includes/pagination.html)."""

from urllib.parse import urlencode

from django import forms

from .caching import pages_version


def typed_into(request, form: forms.Form | None) -> bool:
    """Whether the request fills a field of `form` that echoes what was typed (a search box, any field that
    is not a choice among the form's own options). Such a form is never cached: the cache would keep what
    someone searched for (a person's name) for everyone, in Redis, for minutes."""
    if form is None:
        return False
    return any(
        request.GET.get(name, "").strip()
        for name, field in form.fields.items()
        if not isinstance(field, forms.ChoiceField)
    )


def paged_list_context(request, page, *, filter_names, form: forms.Form | None = None) -> dict:
    """`query`: the request's parameters without the page number, for page links and "clear filters".
    `page_numbers` and `ellipsis`: a bounded run of page links (1 2 … 7 8 9 … 200), so the page costs the same
    however many pages there are. `filters_key` and `filters_version`: what a cached filter form varies on,
    only its own parameters (others add no cache entries), under the public pages' version.
    `filters_cacheable`: false when the form holds what someone typed (`typed_into`); the template then
    renders it without the cache."""
    query = request.GET.copy()
    query.pop("page", None)
    paginator = page.paginator
    return {
        "query": query.urlencode(),
        "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "ellipsis": paginator.ELLIPSIS,
        "filters_key": urlencode([(name, value) for name in filter_names for value in request.GET.getlist(name)]),
        "filters_version": pages_version(),
        "filters_cacheable": not typed_into(request, form),
    }
