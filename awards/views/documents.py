"""Uploading documents, asking signatories, and serving documents only to people allowed to see them."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from crossector.core.access import access_refusal, signed_out_refusal
from crossector.core.storage import signed_download_url

from .. import rules, selectors, services
from ..access import application_access
from ..decorators import applicant_required
from ..forms import DocumentsForm, SignatoryForm, error_links
from ..models import SIGNED_KINDS, Document, DocumentKind, SignatoryRequest
from .apply import load_draft, progress_context


def _signatory_forms(application, bound_kind=None, data=None):
    latest = selectors.signatory_states(application)
    forms = {}
    for kind in SIGNED_KINDS:
        previous = latest.get(kind.value)
        initial = (
            {"signatory_name": previous.signatory_name, "signatory_email": previous.signatory_email} if previous else {}
        )
        if kind == DocumentKind.PARTNER_LETTER and not previous:
            partner = next(iter(application.partners.all()), None)
            if partner:
                initial = {"signatory_name": partner.contact_name, "signatory_email": partner.contact_email}
        forms[kind.value] = SignatoryForm(
            data if kind.value == bound_kind else None, initial=initial, prefix=kind.value
        )
    return forms, latest


def _render(request, application, form, signatory_kind=None, signatory_data=None, signatory_error=None):
    application = selectors.application_for_summary(application.pk)
    signatory_forms, latest = _signatory_forms(application, signatory_kind, signatory_data)
    if signatory_error:
        signatory_forms[signatory_kind].add_error("signatory_email", signatory_error)
    documents = {d.kind: d for d in application.documents.all()}
    rows = [
        {
            "kind": kind.value,
            "label": kind.label,
            "document": documents.get(kind.value),
            "field": form[kind.value],
            "signable": kind in SIGNED_KINDS,
            "signatory_form": signatory_forms.get(kind.value),
            "request": latest.get(kind.value),
        }
        for kind in DocumentKind
    ]
    errors = error_links(form) if form.is_bound else []
    if signatory_kind:
        errors += error_links(signatory_forms[signatory_kind])
    context = progress_context(application)
    context.update(
        {"section": rules.SECTION_BY_SLUG["documents"], "number": 5, "form": form, "rows": rows, "errors": errors}
    )
    return render(request, "awards/section_documents.html", context, status=400 if errors else 200)


@applicant_required
def documents(request, slug):
    application, elsewhere = load_draft(request, slug)
    if elsewhere:
        return elsewhere
    if request.method != "POST":
        return _render(request, application, DocumentsForm())
    form = DocumentsForm(request.POST, request.FILES)
    form.is_valid()
    saved = 0
    for kind in DocumentKind.values:
        upload = form.cleaned_data.get(kind)
        if upload and kind not in form.errors:
            services.document_upload(application=application, user=request.user, kind=kind, upload=upload)
            saved += 1
    if form.errors:
        return _render(request, application, form)
    if saved:
        messages.success(request, f"{saved} document{'s' if saved != 1 else ''} uploaded.")
    if "return" in request.POST:
        return redirect("awards:apply", slug=slug)
    if "continue" in request.POST:
        return redirect("awards:check", slug=slug)
    return redirect("awards:documents", slug=slug)


@applicant_required
@require_POST
def signatory_request(request, slug, kind):
    application, elsewhere = load_draft(request, slug)
    if elsewhere:
        return elsewhere
    if kind not in [k.value for k in SIGNED_KINDS]:
        raise Http404
    form = SignatoryForm(request.POST, prefix=kind)
    if not form.is_valid():
        return _render(request, application, DocumentsForm(), signatory_kind=kind, signatory_data=request.POST)
    try:
        services.signatory_request_create(
            application=application,
            user=request.user,
            kind=kind,
            name=form.cleaned_data["signatory_name"],
            email=form.cleaned_data["signatory_email"],
        )
    except services.ApplicationError as exc:  # a bound reached: say so next to the address, keep what they typed
        return _render(
            request,
            application,
            DocumentsForm(),
            signatory_kind=kind,
            signatory_data=request.POST,
            signatory_error=exc.message,
        )
    messages.success(
        request, f"We have emailed {form.cleaned_data['signatory_email']} a private link to upload the letter."
    )
    return redirect("awards:documents", slug=slug)


@never_cache
def document_download(request, pk):
    """A document, only for the people the access policy allows (`awards.access.application_access`): the
    applicant, and staff or an assigned reviewer after their second factor. Everyone else gets a 404."""
    if (signed_out := signed_out_refusal(request)) is not None:
        return signed_out
    document = Document.objects.select_related("application").filter(pk=pk).first()
    if document is None:
        raise Http404
    decision = application_access(request, document.application)
    if not decision:
        return access_refusal(request=request, decision=decision)
    # Only now, past the check: from a private bucket, a link signed for this one file that lasts a minute (the
    # browser fetches it straight from the store, so no web worker is held for a slow download); from the
    # file system, the file streamed through Django. docs/deployment.md, "Uploads".
    signed = signed_download_url(document.file, filename=document.original_name, content_type="application/pdf")
    if signed:
        response = HttpResponseRedirect(signed)
        response["Cache-Control"] = "private, no-store"
        return response
    response = FileResponse(
        document.file.open("rb"), content_type="application/pdf", as_attachment=True, filename=document.original_name
    )
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
def signatory_upload(request, token):
    """The signatory's page: what is asked and of whom, an upload box, nothing else of the application."""
    # A used link says the letter has already been uploaded, whether opened again (GET) or sent again (a
    # double-click, a resubmitted form), and shows nothing else of the application. A guessed, replaced or
    # expired link stays a 404.
    signatory = services.signatory_request_for_token(token, used=True)
    if signatory is None:
        raise Http404
    if signatory.used_at is not None:
        return render(request, "awards/signatory_done.html", {"already": True})
    error = None
    if request.method == "POST":
        upload = request.FILES.get("letter")
        if upload is None:
            error = "Choose the PDF letter to upload."
        else:
            try:
                services.signatory_upload(token=token, upload=upload)
            except SignatoryRequest.DoesNotExist:
                raise Http404 from None
            except services.ApplicationError as exc:
                error = exc.message
            else:
                return render(request, "awards/signatory_done.html", {"signatory": signatory})
    return render(
        request,
        "awards/signatory_upload.html",
        {
            "signatory": signatory,
            "error": error,
            # The error summary's list: also what makes the page title start "Error:" (page_title.ERROR_NAMES).
            "errors": [{"href": "#id_letter", "text": error}] if error else [],
            "applicant_name": signatory.application.applicant.get_full_name(),
        },
        status=400 if error else 200,
    )
