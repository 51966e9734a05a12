"""`python -m bench [module ...] [--flags]`: run every bench module's run() (or only those named)."""

import importlib
import pkgutil
import sys
import time

import django


def main(argv: list[str]) -> int:
    django.setup()
    import bench
    import qianwan.wsgi  # noqa: F401  (start-up as served: URLconf loaded, start-up objects frozen for the GC)

    names = [m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_")]
    wanted = [a for a in argv if not a.startswith("-") and a in names]
    flags = [a for a in argv if a not in wanted]
    for name in sorted(wanted or names):
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "run"):
            continue
        print(f"== bench.{name}", flush=True)
        started = time.monotonic()
        module.run(flags)
        print(f"== bench.{name} done in {time.monotonic() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qianwan.settings.local")
    sys.exit(main(sys.argv[1:]))
