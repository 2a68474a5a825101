"""What the therapist's desk adds to pages of other apps, composed in their templates: the client
list on a therapist's home, and "from your therapist" (notes to the couple, homework) on a
partner's home and on an exercise's page. `couples` imports no other app, so its home page loads
these tags instead of calling into `exercises`."""

from __future__ import annotations

from django import template

from couples.access import look_record

from .. import access, desk
from ..forms import HomeworkAnswerForm

register = template.Library()


@register.inclusion_tag("exercises/desk/_client_list.html", takes_context=True)
def client_list(context: template.Context) -> dict[str, object]:
    request = context["request"]
    clients = desk.client_list(therapist=request.user)
    look_record(
        viewer=request.user,
        couples=clients,
        what="Your clients: last activity and what is new",
        path=request.path,
    )
    return {"clients": clients, "user": request.user}


@register.inclusion_tag("exercises/desk/_from_therapist.html", takes_context=True)
def from_your_therapist(
    context: template.Context, kind: str = "", homework: list | None = None
) -> dict[str, object]:
    """On a partner's home (`couple` in the context): notes to the couple and homework. On an
    exercise's page (`kind`): that exercise's homework, which the page may pass in."""
    request = context["request"]
    couple = context.get("couple")
    notes = (
        list(access.notes_visible(request.user, couple=couple).select_related("author"))
        if couple and not kind
        else []
    )
    if homework is None:
        homework = desk.partner_homework(viewer=request.user, kind=kind)
    return {
        "notes": notes,
        "homework": homework,
        "answer_form": HomeworkAnswerForm(),
        "on_kind_page": bool(kind),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
