"""Every migration must work while the previous release is still serving (rolling deploys, docs/deployment.md).

During a rolling deploy the new release migrates the database while nodes on the old release still answer
requests against it. So a migration may add tables, nullable columns, columns with a database default
(`db_default`), indexes and constraints the old code satisfies; it may not drop or rename a column or table
the old code reads, or add a NOT NULL column the old code's INSERTs would leave empty (Django's `default=` is
applied by Python and dropped from the database again: use `db_default`). Removing something is two releases:
stop using it, then drop it.

django-migration-linter (6.0, supports Django 5.2) reads the SQL `sqlmigrate` gives for each of our migrations
and says which are backwards incompatible. A migration it flags fails this test unless it is listed in
ACCEPTED with the reason it is safe (or was released before this rule).
"""

import contextlib
import io
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django_migration_linter import MigrationLinter
from django_migration_linter.sql_analyser import analyse_sql_statements, get_sql_analyser_class

ACCEPTED = {
    ("awards", "0002_review_workflow"): "Released before rolling deploys (issue 19) and applied on every database; "
    "its NOT NULL columns belong to the review tables it creates, which the release before it never wrote.",
    ("core", "0003_profile_directory"): "Released before rolling deploys (issue 19) and applied on every database.",
}

# Our own apps: those in this repository, not installed packages (the virtualenv may sit inside it too).
PROJECT_APPS = sorted(
    config.label
    for config in apps.get_app_configs()
    if Path(config.path).is_relative_to(settings.BASE_DIR) and "site-packages" not in Path(config.path).parts
)


@pytest.mark.django_db
def test_every_migration_is_backwards_compatible_or_accepted_with_a_reason():
    linter = MigrationLinter(include_apps=PROJECT_APPS, no_cache=True)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        linter.lint_all_migrations()
    report = output.getvalue()
    flagged = set(re.findall(r"^\((\w+), (\w+)\)\.\.\. ERR", report, flags=re.MULTILINE))
    assert linter.nb_total >= 10, report  # the linter really read our migrations
    assert flagged - set(ACCEPTED) == set(), f"backwards-incompatible migrations:\n{report}"
    # An accepted entry that no longer fails is stale: it would silently excuse a future migration's name.
    assert set(ACCEPTED) - flagged == set(), report


@pytest.mark.parametrize(
    ("statements", "problem"),
    [
        (['ALTER TABLE "t" DROP COLUMN "c" CASCADE;'], "DROP_COLUMN"),
        (['DROP TABLE "t" CASCADE;'], "DROP_TABLE"),
        (['ALTER TABLE "t" RENAME COLUMN "a" TO "b";'], "RENAME_COLUMN"),
        (['ALTER TABLE "t" RENAME TO "u";'], "RENAME_TABLE"),
        (['ALTER TABLE "t" ADD COLUMN "c" integer NOT NULL;'], "NOT_NULL"),
        # Django's `default=`: the database default is dropped again, so the old release's INSERTs fail.
        (
            [
                'ALTER TABLE "t" ADD COLUMN "c" boolean DEFAULT false NOT NULL;',
                'ALTER TABLE "t" ALTER COLUMN "c" DROP DEFAULT;',
            ],
            "NOT_NULL",
        ),
        (['ALTER TABLE "t" ALTER COLUMN "c" SET NOT NULL;'], "NOT_NULL"),
        # What a rolling deploy allows.
        (['ALTER TABLE "t" ADD COLUMN "c" boolean DEFAULT false NOT NULL;'], None),  # `db_default`
        (['ALTER TABLE "t" ADD COLUMN "c" integer NULL;'], None),
        (['CREATE TABLE "t" ("id" bigint NOT NULL PRIMARY KEY);'], None),
    ],
)
def test_the_check_catches_what_would_break_the_release_still_running(statements, problem):
    analyser = get_sql_analyser_class(settings.DATABASES["default"]["ENGINE"])
    errors, _ignored, _warnings = analyse_sql_statements(analyser, statements, [])
    assert [e.code for e in errors] == ([problem] if problem else [])
