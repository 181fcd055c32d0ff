from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from crossector.core import demo

# Each app that has demo data provides `<app>.demo.seed(users)`; they run in this order.
APP_SEEDERS = ("hubs.demo", "events.demo", "awards.demo", "hubs.network.demo")


class Command(BaseCommand):
    help = "Create demo users and programme data. Safe to run more than once."

    def handle(self, *args, **options):
        with transaction.atomic():
            users = demo.seed()
            for module_name in APP_SEEDERS:
                try:
                    module = import_module(module_name)
                except ModuleNotFoundError as exc:
                    if exc.name != module_name:
                        raise
                    continue
                summary = module.seed(users)
                if summary:
                    self.stdout.write(f"  {module_name.split('.')[0]}: {summary}")
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with any of these:"))
        for role, user in users.items():
            self.stdout.write(f"  {role:<10} {user.email:<26} password: {demo.DEMO_PASSWORD}")
        self.stdout.write(
            f"  The admin asks {' and '.join(demo.DEMO_TOTP_ROLES)} for a two-factor code: add the setup key "
            f"{demo.DEMO_TOTP_SECRET} to an authenticator app (demo data only)."
        )
