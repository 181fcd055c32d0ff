"""The README's first screen shows exactly the two commands; it tells how to serve on another port and gives
every demo login that seed_demo makes, the hub organiser included."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_first_screen_shows_exactly_make_run_and_make_test():
    first_screen = README.split("\n---\n")[0]
    blocks = re.findall(r"```sh\n(.*?)```", first_screen, re.S)
    assert len(blocks) == 1
    commands = [line.split("#")[0].strip() for line in blocks[0].splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    assert len(first_screen.splitlines()) <= 40


def test_readme_says_how_to_serve_on_another_port():
    assert "`make run PORT=8101`" in README and "SITE_URL" in README


@pytest.mark.django_db
def test_every_demo_login_seed_demo_prints_is_in_the_readme():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    printed = set(re.findall(r"[\w.]+@example\.org", out.getvalue()))
    assert "organiser@example.org" in printed
    first_screen = README.split("\n---\n")[0]
    for email in printed:
        assert f"`{email}`" in first_screen, email
