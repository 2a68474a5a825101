"""The exercise kinds: one row each, pointing at the kind's module.

Create, edit, delete, share, the card, the kind's page, the shared history, the exports, the
therapist's desk and account deletion are one piece of code for every kind; what differs lives
in the kind's module (`exercises/kinds/<kind>.py`) as its `SPEC` (`kinds.base.KindSpec`), and
nothing outside those modules compares an entry's kind with a value.

How to add a kind (say "letters"):

1. Write `exercises/kinds/letters.py`: the detail model (a one-to-one `entry` with
   `related_name="letters"`, `Meta.app_label = "exercises"`), any row models, the form (and
   formset), and `SPEC = KindSpec(kind=Kind.LETTERS, ...)` with the words and the hooks it
   needs (`answerable`, `prepare`, `actor_rows` for rows a partner writes on the other's
   entries, `gifts` to reuse the "partner gives an item" pattern, `page_template`, ...).
2. Add `LETTERS = "letters", "Letters"` to `models.Kind` and import the module's models at the
   bottom of `exercises/models.py`; run `manage.py makemigrations exercises`.
3. Write its card fragment, `templates/exercises/kinds/letters.html` (the detail is `d`).
4. Add the module to `MODULES` below.

Valid form data for it goes into `tests/exercises/conftest.py::valid_data`; the access matrix,
the property test, the export and the account-deletion tests then cover it."""

from __future__ import annotations

from .kinds import (
    appreciation,
    caring,
    request,
    surprises,
    temperature,
    traits,
    vision,
    workup,
    wound,
)
from .kinds.base import KindSpec

MODULES = (
    appreciation,
    caring,
    request,
    vision,
    temperature,
    workup,
    traits,
    wound,
    surprises,
)

KINDS: dict[str, KindSpec] = {module.SPEC.kind: module.SPEC for module in MODULES}

DETAIL_RELATIONS = tuple(KINDS)

# The kinds whose items the partner gives (caring behaviors, surprises): their one pattern.
GIFT_KINDS = {kind: spec for kind, spec in KINDS.items() if spec.gifts is not None}

__all__ = ["DETAIL_RELATIONS", "GIFT_KINDS", "KINDS", "KindSpec"]
