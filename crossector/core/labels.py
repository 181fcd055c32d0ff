"""Labels and messages of portal forms, said one way.

- A field a person may leave empty and still finish (book, submit, save their profile) ends its label with
  " (optional)", and no other field does. A single tick box is not marked: leaving it unticked is its
  answer. Forms whose boxes may all be left empty while saving a draft, but must be filled to submit, list
  those in `needed_later`: they are not optional, so not marked.
- An empty required field says what to enter ("Enter your organisation's name"), never Django's
  "This field is required.".
"""

from django import forms
from django.forms.utils import pretty_name

OPTIONAL = " (optional)"


def is_optional(form: forms.BaseForm, name: str) -> bool:
    """May the person leave this field empty and still finish? What the label says and tests check."""
    field = form.fields[name]
    if field.required or field.widget.is_hidden or isinstance(field, forms.BooleanField):
        return False
    needed = getattr(form, "needed_later", ())
    return not (needed == "__all__" or name in needed)


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "Upload the letter of support", but "Upload the CV" (an
    acronym keeps its capitals; never "the cV" or "the cv")."""
    label = str(label)
    if not label or label[1:2].isupper():
        return label
    return label[0].lower() + label[1:]


def _what(field: forms.Field, name: str) -> str:
    return in_sentence(str(field.label or name.replace("_", " ")).removesuffix(OPTIONAL).rstrip("?:"))


def required_message(field: forms.Field, name: str) -> str:
    """ "Enter your job title", "Choose a sector", "Tick the box ...": what to do, in the field's terms."""
    what = _what(field, name)
    if isinstance(field, forms.BooleanField):
        return f"Tick the box to confirm: {what}"
    if isinstance(field, forms.FileField):
        return f"Choose the file for {what}"
    if isinstance(field.widget, forms.RadioSelect | forms.Select | forms.CheckboxSelectMultiple):
        return f"Choose {what}"
    return f"Enter {what}"


def label_form(form: forms.BaseForm) -> forms.BaseForm:
    """Mark the form's optional fields "(optional)" and give each required field a specific message."""
    for name, field in form.fields.items():
        if field.label is None:
            field.label = pretty_name(name)
        label = str(field.label)
        if is_optional(form, name):
            if not label.endswith(OPTIONAL):
                field.label = label + OPTIONAL
        elif label.endswith(OPTIONAL):
            field.label = label.removesuffix(OPTIONAL)
        default = forms.Field.default_error_messages["required"]
        if str(field.error_messages.get("required", default)) == str(default):
            field.error_messages["required"] = required_message(field, name)
    return form


class LabelledFormMixin:
    """Every portal form: "(optional)" labels and specific messages (see `label_form`), after __init__."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label_form(self)
