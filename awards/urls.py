from django.urls import path

from .views import apply, calls, documents, submission

app_name = "awards"

urlpatterns = [
    path("", calls.call_list, name="list"),
    path("notify/", calls.notify_me, name="notify"),
    path("applications/", submission.my_applications, name="my_applications"),
    path("applications/<int:pk>/", submission.application_detail, name="application"),
    path("applications/<int:pk>/submitted/", submission.application_submitted, name="submitted"),
    path("applications/<int:pk>/print/", submission.application_print, name="print"),
    path("applications/<int:pk>/withdraw/", submission.application_withdraw, name="withdraw"),
    path("documents/<int:pk>/", documents.document_download, name="document"),
    path("letters/<str:token>/", documents.signatory_upload, name="signatory_upload"),
    path("<slug:slug>/", calls.call_detail, name="call"),
    path("<slug:slug>/apply/", apply.task_list, name="apply"),
    path("<slug:slug>/apply/documents/", documents.documents, name="documents"),
    path("<slug:slug>/apply/documents/ask/<str:kind>/", documents.signatory_request, name="signatory_request"),
    path("<slug:slug>/apply/check/", submission.check_answers, name="check"),
    path("<slug:slug>/apply/<slug:section>/", apply.section_edit, name="section"),
]
