"""Fill a page's form the way a person would, with a marker in every field they can type into.

`submit(client, url, markers, ...)` GETs the page, reads its form (inputs, text areas, selects, check boxes,
formset management fields) with the standard library's HTML parser, types a fresh marker into every text
field, keeps hidden values, picks the selected (or first real) option, ticks every box, applies the test's
own `values` last, and POSTs. A field added to a form later is filled without the test changing, so a new
place the portal stores what people type is searched too (tests/core/stores.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

TEXT_TYPES = {"text", "search", "tel", ""}


class Markers:
    """Unique markers, `zq<n>x`: short, one word, valid in names and addresses, easy to find anywhere."""

    PATTERN = re.compile(r"zq\d{3}x", re.IGNORECASE)

    def __init__(self):
        self.made: dict[str, str] = {}
        self.addresses: set[str] = set()  # the markers in the person's own email addresses

    def new(self, where: str) -> str:
        marker = f"zq{len(self.made):03d}x"
        self.made[marker] = where
        return marker

    def find(self, text: str) -> set[str]:
        return {m.lower() for m in self.PATTERN.findall(text or "")}


@dataclass
class Field:
    tag: str
    name: str
    type: str = ""
    value: str = ""
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._option: tuple[str, bool] | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            self._form.fields.append(Field("input", a["name"], kind, a.get("value", ""), "checked" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field("textarea", a["name"])
            self._form.fields.append(self._textarea)
        elif tag == "select" and a.get("name"):
            self._select = Field("select", a["name"], "multiple" if "multiple" in a else "")
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value"), "selected" in a)
            if a.get("value") is not None:
                self._select.options.append(self._option)
                self._option = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:  # <option> without value: its text is the value
            self._select.options.append((data.strip(), self._option[1]))
            self._option = None

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def forms_on(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return [f for f in parser.forms if f.method == "post"]


def typed(form: Form, markers: Markers, *, where: str, skip: tuple[str, ...] = ()) -> dict:
    """What a thorough person sends: a marker in every field they can type into, every box ticked."""
    data: dict[str, list[str]] = {}
    for f in form.fields:
        if f.name in skip or f.name.endswith("-DELETE") or f.type in ("submit", "button", "file", "password"):
            continue
        if f.tag == "textarea" or (f.tag == "input" and f.type in TEXT_TYPES):
            data[f.name] = [markers.new(f"{where}: {f.name}")]
        elif f.type == "email":
            data[f.name] = [f"{markers.new(f'{where}: {f.name}')}@example.org"]
        elif f.type == "url":
            data[f.name] = [f"https://{markers.new(f'{where}: {f.name}')}.example.org/"]
        elif f.type in ("hidden", "number", "date", "datetime-local"):
            data.setdefault(f.name, []).append(f.value)
        elif f.type == "checkbox":
            data.setdefault(f.name, []).append(f.value or "on")
        elif f.type == "radio":
            if f.checked or f.name not in data:
                data[f.name] = [f.value]
        elif f.tag == "select":
            chosen = [v for v, selected in f.options if selected] or [v for v, _ in f.options if v][:1]
            data[f.name] = chosen
    return data


def submit(client, url: str, markers: Markers, *, values: dict | None = None, form: str = "", skip=(), **extra):
    """GET `url`, fill its POST form (the first one whose field names include `form`, if given), POST it.

    `values` replace what `typed` chose (a value of None drops the field). Returns the response.
    """
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code, page.get("Location"))
    candidates = [f for f in forms_on(page.content.decode()) if not form or any(x.name == form for x in f.fields)]
    candidates = [f for f in candidates if "logout" not in f.action]
    assert candidates, f"no form with {form!r} on {url}"
    chosen = candidates[0]
    data = typed(chosen, markers, where=url, skip=skip)
    for name, value in (values or {}).items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return client.post(chosen.action or url, data, **extra)
