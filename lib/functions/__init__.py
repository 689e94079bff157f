"""Built-in custom functions: every module here registers its functions with `@tool` on import."""

from __future__ import annotations

import importlib
import pkgutil

# Importing each submodule is what registers it, so adding a function means adding one module.
for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
