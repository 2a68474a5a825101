"""The therapist's desk (one page per couple, under /clients/<couple>/) and the partners' answer
to homework. Requests only: who may see what is asked of the access rules, what is shown is
asked of `desk.py`, what changes is done by `services.py`."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from couples.models import Couple
from dialogue import selectors as dialogue_selectors

from . import access, desk, services
from .forms import (
    BriefForm,
    HistoryFilterForm,
    HomeworkAnswerForm,
    HomeworkForm,
    NewNoteForm,
    NoteForm,
)
from .models import Homework, Note
from .overview import entries_headed
from .services import NOTE_LIMIT, ExerciseError

PAGE_SIZE = 20

# (url name, tab label): the desk's sections, in the order of its tabs.
SECTIONS = [
    ("overview", "Overview"),
    ("history", "Shared history"),
    ("dialogues", "Dialogues"),
    ("skills", "Dialogue skills"),
    ("homework", "Homework"),
    ("notes", "Notes"),
    ("brief", "Since last session"),
]


def _get_client(request: HttpRequest, pk: object) -> Couple:
    """The couple, if the requester is its therapist with both partners' consent in force; 404
    for everyone else, partners included (the desk is the therapist's)."""
    return access.get_client_for_therapist(request, pk)


def _look(request: HttpRequest, couple: Couple, what: str) -> None:
    services.desk_visit_record(
        couple=couple, therapist=request.user, what=f"Client desk: {what}", path=request.path
    )


def _render(
    request: HttpRequest,
    couple: Couple,
    section: str,
    context: dict[str, object],
    *,
    status: int = 200,
) -> HttpResponse:
    """The full page, or the section alone (with its tabs) for an HTMX swap."""
    template = f"exercises/desk/{section}.html"
    if request.htmx and not request.htmx.boosted:
        template += "#section"
    context = {
        "couple": couple,
        "partners": sorted(couple.partners.all(), key=lambda p: p.display_name),
        "sections": SECTIONS,
        "section": section,
        "today": timezone.localdate(),
        **context,
    }
    return render(request, template, context, status=status)


@login_required
@require_GET
def overview(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_client(request, pk)
    _look(request, couple, "overview")
    return _render(
        request, couple, "overview", desk.client_overview(viewer=request.user, couple=couple)
    )


@login_required
@require_GET
def history(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_client(request, pk)
    form = HistoryFilterForm(request.GET or None, label_suffix="")
    filters = form.cleaned_data if form.is_valid() else {}
    entries = desk.client_history(
        viewer=request.user,
        couple=couple,
        kind=filters.get("kind", ""),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    _look(request, couple, f"shared history, page {page.number}")
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "entries": entries_headed(page.object_list),
        "query": query.urlencode(),
    }
    return _render(request, couple, "history", context)


@login_required
@require_GET
def dialogues(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_client(request, pk)
    shared = desk.client_dialogues(viewer=request.user, couple=couple)
    page = Paginator(shared, PAGE_SIZE).get_page(request.GET.get("page"))
    _look(request, couple, f"shared dialogues, page {page.number}")
    return _render(request, couple, "dialogues", {"page": page, "query": ""})


@login_required
@require_GET
def transcript(request: HttpRequest, pk: object, dialogue_pk: object) -> HttpResponse:
    couple = _get_client(request, pk)
    found = dialogue_selectors.dialogue_transcript(
        dialogues=desk.client_dialogues(viewer=request.user, couple=couple), pk=dialogue_pk
    )
    if found is None:
        raise Http404("No such dialogue.")
    _look(request, couple, f"transcript of “{found['dialogue'].topic}”")
    return _render_transcript(request, couple, found)


def _render_transcript(
    request: HttpRequest,
    couple: Couple,
    found: dict[str, object],
    *,
    form: NewNoteForm | None = None,
    pin_turn: object = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    pinned: dict[int, list[Note]] = {}
    for note in desk.client_notes(viewer=request.user, couple=couple):
        if note.turn_id:
            pinned.setdefault(note.turn_id, []).append(note)
    turns = [{**turn, "notes": pinned.get(turn["id"], [])} for turn in found["turns"]]
    context = {
        "dialogue": found["dialogue"],
        "turns": turns,
        "note_form": form or NewNoteForm(label_suffix=""),
        "pin_turn": pin_turn,
        "note_limit": NOTE_LIMIT,
        "error": error,
    }
    return _render(request, couple, "transcript", context, status=status)


@login_required
@require_GET
def skills(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_client(request, pk)
    _look(request, couple, "dialogue skills")
    return _render(
        request, couple, "skills", desk.client_skills(viewer=request.user, couple=couple)
    )


@login_required
@require_GET
def brief(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_client(request, pk)
    default = timezone.localdate() - timedelta(days=7)
    form = BriefForm(request.GET or None, initial={"since": default}, label_suffix="")
    since = form.cleaned_data["since"] if form.is_valid() else default
    _look(request, couple, f"what is new since {since:%d %b %Y}")
    context = {
        "form": form,
        "brief": desk.client_brief(viewer=request.user, couple=couple, since=since),
        "overview": desk.client_overview(viewer=request.user, couple=couple),
        "notes": desk.client_notes(viewer=request.user, couple=couple),
    }
    return _render(request, couple, "brief", context, status=400 if form.errors else 200)


def _partners(couple: Couple) -> list:
    return sorted(couple.partners.all(), key=lambda p: p.display_name)


def _render_homework(
    request: HttpRequest, couple: Couple, form: HomeworkForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    _look(request, couple, "homework")
    context = {
        "form": form,
        "error": error,
        "assignments": desk.client_homework(viewer=request.user, couple=couple),
    }
    return _render(request, couple, "homework", context, status=status)


@login_required
@require_GET
def homework(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_client(request, pk)
    return _render_homework(
        request, couple, HomeworkForm(partners=_partners(couple), label_suffix="")
    )


@login_required
@require_POST
def homework_assign(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_client(request, pk)
    form = HomeworkForm(request.POST, partners=_partners(couple), label_suffix="")
    if not form.is_valid():
        return _render_homework(request, couple, form, status=400)
    try:
        assigned = services.homework_assign(
            couple=couple,
            by=request.user,
            kind=form.cleaned_data["kind"],
            instructions=form.cleaned_data["instructions"],
            due_on=form.cleaned_data["due_on"],
            assignee=form.chosen_assignee(),
        )
    except ExerciseError as exc:
        return _render_homework(request, couple, form, error=str(exc), status=400)
    messages.success(request, f"Homework assigned: {assigned.get_kind_display()}.")
    if not request.htmx:
        return redirect("desk:homework", pk=couple.pk)
    return _render_homework(
        request, couple, HomeworkForm(partners=_partners(couple), label_suffix="")
    )


def _render_notes(
    request: HttpRequest, couple: Couple, form: NewNoteForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    _look(request, couple, "notes")
    context = {
        "form": form,
        "error": error,
        "notes": desk.client_notes(viewer=request.user, couple=couple),
    }
    return _render(request, couple, "notes", context, status=status)


@login_required
@require_GET
def notes(request: HttpRequest, pk: object) -> HttpResponse:
    """Session notes and notes to the couple: the therapist's own, newest first."""
    couple = _get_client(request, pk)
    return _render_notes(request, couple, NewNoteForm(label_suffix=""))


@login_required
@require_POST
def note_create(request: HttpRequest, pk: object) -> HttpResponse:
    """A new note. With `turn` (the form beside each turn of a transcript), a session note
    pinned to that turn; its mistakes are shown on the transcript."""
    couple = _get_client(request, pk)
    shared = desk.client_dialogues(viewer=request.user, couple=couple)
    turn = None
    if request.POST.get("turn"):
        turn = dialogue_selectors.turn_in(dialogues=shared, turn_id=request.POST["turn"])
        if turn is None:
            raise Http404("No such turn.")
    form = NewNoteForm(request.POST, label_suffix="")
    error = ""
    if form.is_valid():
        try:
            services.note_create(
                couple=couple,
                by=request.user,
                text=form.cleaned_data["text"],
                to_couple=form.cleaned_data["to_couple"] and turn is None,
                turn=turn,
            )
        except ExerciseError as exc:
            error = str(exc)
        else:
            messages.success(request, "Note saved.")
            if turn is None:
                return redirect("desk:notes", pk=couple.pk)
            url = reverse("desk:transcript", args=[couple.pk, turn.dialogue_id])
            return redirect(f"{url}#turn-{turn.seq}")
    if turn is None:
        return _render_notes(request, couple, form, error=error, status=400)
    found = dialogue_selectors.dialogue_transcript(dialogues=shared, pk=turn.dialogue_id)
    _look(request, couple, f"transcript of “{found['dialogue'].topic}”")
    return _render_transcript(
        request, couple, found, form=form, pin_turn=turn.pk, error=error, status=400
    )


@login_required
@require_http_methods(["GET", "POST"])
def note_update(request: HttpRequest, pk: object, note_pk: int) -> HttpResponse:
    couple = _get_client(request, pk)
    note = get_object_or_404(
        access.notes_visible(request.user, couple=couple),
        pk=note_pk,
    )
    form = NoteForm(request.POST or None, instance=note, label_suffix="")
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.note_update(note_id=note.pk, by=request.user, text=form.cleaned_data["text"])
        except ExerciseError as exc:
            error = str(exc)
        else:
            messages.success(request, "Note saved.")
            return redirect("desk:notes", pk=couple.pk)
    _look(request, couple, "a note")
    status = 400 if request.method == "POST" else 200
    return _render(
        request, couple, "note_update", {"form": form, "note": note, "error": error}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def note_delete(request: HttpRequest, pk: object, note_pk: int) -> HttpResponse:
    """GET asks "delete this note?" (in place of the note with HTMX, a page without); POST
    deletes it. Someone else's note, or one on another couple, is a 404."""
    couple = _get_client(request, pk)
    note = get_object_or_404(access.notes_visible(request.user, couple=couple), pk=note_pk)
    context = {"couple": couple, "note": note}
    if request.method == "POST":
        try:
            services.note_delete(note_id=note.pk, by=request.user)
        except ExerciseError:
            raise Http404("No such note.") from None
        if request.htmx:
            return render(request, "exercises/desk/note_delete.html#deleted", context)
        messages.success(request, "Note deleted.")
        return redirect("desk:notes", pk=couple.pk)
    _look(request, couple, "a note")
    if request.htmx:
        return render(request, "exercises/desk/note_delete.html#confirm", context)
    return _render(request, couple, "note_delete", context)


@login_required
@require_GET
def export(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_client(request, pk)
    _look(request, couple, "export of everything shared")
    payload = desk.client_export(viewer=request.user, couple=couple)
    response = HttpResponse(
        json.dumps(payload, indent=2, ensure_ascii=False), content_type="application/json"
    )
    filename = f"imago-client-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Partners: answering homework --------------------------------------------------------------


@login_required
@require_POST
def homework_answer(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(access.homework_visible(request.user), pk=pk)
    form = HomeworkAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether you did it, or whether it did not fit.")
    else:
        try:
            answered = services.homework_answer(
                homework_id=pk, by=request.user, **form.cleaned_data
            )
        except ExerciseError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                "Thank you: your therapist will see it's done."
                if answered.state == Homework.State.DONE
                else "Thank you: your therapist will see it did not fit, and why.",
            )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("couples:home")
    return redirect(target)
