import shutil

import pytest


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads go to a throwaway folder, never the shared private media root."""
    location = tmp_path / "private-media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": location, "base_url": None}},
    }
    settings.PRIVATE_MEDIA_ROOT = location
    yield
    shutil.rmtree(location, ignore_errors=True)
