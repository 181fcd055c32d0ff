import pytest


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the outbox's after-commit sends, as a real request would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
