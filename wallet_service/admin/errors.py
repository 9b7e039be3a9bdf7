"""The one error administration raises: a sentence the operator can act on, in English on the
command line and in the page's language on the administrator's pages."""
from __future__ import annotations


def N_(template: str) -> str:
    """Marks a message for the catalogues (Babel extracts `N_`); it is translated when shown."""
    return template


class AdminError(ValueError):
    def __init__(self, template: str, **params: object):
        self.template, self.params = template, params
        self.message = template % params if params else template
        super().__init__(self.message)

    def translated(self) -> str:
        """The message in the current request's language (a page's); texts inside it (a format
        check's message) are translated too when the catalogue has them."""
        from flask_babel import gettext

        params = {k: gettext(v) if isinstance(v, str) and v else v for k, v in self.params.items()}
        return gettext(self.template, **params)
