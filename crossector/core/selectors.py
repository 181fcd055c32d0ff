"""Reads for the site pages. The core never imports an app's models; it asks their selectors."""

from importlib import import_module


def _optional(module: str, name: str):
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return None


def home_context() -> dict:
    upcoming = _optional("events.selectors", "event_list_for_home")
    hubs = _optional("hubs.selectors", "hub_list_for_home")
    return {
        "upcoming_events": upcoming() if upcoming else [],
        "hubs": hubs() if hubs else [],
    }
