"""Mounted at /bench/ only when BENCH_BASELINE=true (crossector/urls.py); off by default."""

from django.urls import path

from . import views

urlpatterns = [path("baseline/", views.baseline, name="bench_baseline")]
