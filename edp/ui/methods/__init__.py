"""Each voting method's widgets, one module each (edp/ui/methods/<name>.py), found by the method's
name: the settings in the round form, the ballot and the stored ballot in words. Every module in
this package is imported here and registers its form; a new method drops its module in here,
next to its engine module in edp/voting/."""

import importlib
import pkgutil

from edp.ui.methods.base import FORMS, MethodForm, form, ordinal, sticky_bar, submit_button, theme_labels

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["FORMS", "MethodForm", "form", "ordinal", "sticky_bar", "submit_button", "theme_labels"]
