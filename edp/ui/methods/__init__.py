"""Each voting method's widgets, one module each (edp/ui/methods/<name>.py), found by the method's
name: the settings in the round form, the ballot and the stored ballot in words. A new method
adds its module here next to its engine module in edp/voting/."""

from edp.ui.methods import approval, dots, rank, score  # noqa: F401 - each registers its form
from edp.ui.methods.base import FORMS, MethodForm, form, ordinal, sticky_bar, submit_button, theme_labels

__all__ = ["FORMS", "MethodForm", "form", "ordinal", "sticky_bar", "submit_button", "theme_labels"]
