import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from qianwan.bulkload import analyze_tables


class Command(BaseCommand):
    help = (
        "Load the demo data (idempotent): every installed app with a `demo` module contributes, in "
        "INSTALLED_APPS order. --reset first removes what the demo loaders own, in reverse order."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="remove demo data first, then load it again")

    def handle(self, *args, **opts):
        loaders = []
        for config in apps.get_app_configs():
            try:
                loaders.append((config.label, importlib.import_module(f"{config.name}.demo")))
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
        if opts["reset"]:
            with transaction.atomic():
                for label, module in reversed(loaders):
                    if hasattr(module, "reset"):
                        module.reset()
                        self.stdout.write(f"reset {label}")
        for label, module in loaders:
            with transaction.atomic():
                summary = module.load()
            self.stdout.write(f"{label}: {summary or 'ok'}")
        # fresh planner statistics for every table the demo wrote (issue 21: a bulk load ends with ANALYZE)
        written = {label for label, _ in loaders} | {"audit"}
        analyze_tables(model for label in written for model in apps.get_app_config(label).get_models())
        self.stdout.write(self.style.SUCCESS("demo data loaded"))
