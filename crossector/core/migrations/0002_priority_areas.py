from django.db import migrations

from crossector.core.vocabulary import PRIORITY_AREAS


def add_priority_areas(apps, schema_editor):
    PriorityArea = apps.get_model("core", "PriorityArea")
    for slug, name in PRIORITY_AREAS:
        PriorityArea.objects.update_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(add_priority_areas, migrations.RunPython.noop)]
