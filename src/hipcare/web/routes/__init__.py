"""The web app's routes, one module per feature, each with an ``APIRouter`` for its pages
(``pages_router`` or ``router``) and, where it has one, its JSON API (``api_router``).

:func:`hipcare.web.create_app` includes them in one place, in a fixed order. A route module
never imports another (an import-linter independence contract): what several share is in
:mod:`hipcare.web.rendering`, :mod:`hipcare.web.auth` and :mod:`hipcare.web.models`.
"""
