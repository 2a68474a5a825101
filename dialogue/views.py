from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from couples.access import active_couple_for, look_record
from couples.notifications import notification_read_target, user_zone
from imago_site.errors import ImagoError
from imago_site.http import refuse

from . import flow
from .access import dialogue_start_access, dialogues_visible, get_dialogue_for_user
from .appointments import (
    AppointmentError,
    appointment_cancel,
    appointment_for,
    appointment_ics,
    appointment_move,
    appointment_set,
    appointments_upcoming,
)
from .exports import dialogue_export
from .forms import AppointmentForm, CoachingForm, DialogueStartForm, TurnForm
from .fragments import (
    panel_context,
    room_context,
    transcript_items,
    turn_context,
    window_context,
)
from .models import Appointment, Dialogue
from .practice import practice_act, practice_new, practice_snapshot
from .services import (
    TEXT_LIMIT,
    TRANSCRIPT_PAGE,
    TURNS_PAGE,
    DialogueError,
    coaching_submit,
    dialogue_invite_therapist,
    dialogue_start,
    dialogue_state,
    dialogue_therapist,
    turn_submit,
)

WALKTHROUGH_SKIPPED = "dialogue_walkthrough_skipped"
PRACTICE = "dialogue_practice"


def _list_context(request: HttpRequest, start_form: DialogueStartForm) -> dict[str, object]:
    start = dialogue_start_access(request.user)
    couple = start.couple
    dialogues = dialogues_visible(request.user)
    return {
        "may_pair": start.may_pair,
        "may_practise": start.may_practise,
        # The first time a couple comes to their dialogues, a walk-through and a practice round.
        "walkthrough": couple is not None
        and not request.session.get(WALKTHROUGH_SKIPPED)
        and not dialogues.filter(couple=couple).exists(),
        "couple": couple,
        "partner": couple.partner_of(request.user) if couple else None,
        "start_form": start_form,
        "open": dialogues.open(),
        "finished": dialogues.finished().order_by("-ended_at"),
    }


@login_required
@require_GET
def dialogue_list(request: HttpRequest) -> HttpResponse:
    context = _list_context(request, DialogueStartForm())
    look_record(
        viewer=request.user,
        couples=[dialogue.couple for dialogue in [*context["open"], *context["finished"]]],
        what="The list of dialogues shared with you",
        path=request.path,
    )
    return render(request, "dialogue/list.html", context)


@login_required
@require_POST
def dialogue_new(request: HttpRequest) -> HttpResponse:
    form = DialogueStartForm(request.POST)
    couple = active_couple_for(request.user)
    if couple is None:
        messages.error(request, "Dialogues need your partner: pair with them first.")
        return redirect("dialogue:list")
    if form.is_valid():
        try:
            dialogue = dialogue_start(couple=couple, user=request.user, **form.cleaned_data)
        except DialogueError as error:
            refuse(request, error, form=form, field=form.ERROR_FIELDS.get(error.code))
        else:
            return redirect("dialogue:room", pk=dialogue.pk)
    return render(request, "dialogue/list.html", _list_context(request, form), status=400)


def _render_room(
    request: HttpRequest,
    dialogue: Dialogue,
    role: flow.Role,
    *,
    draft: str | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    # The latest turns; earlier ones load on demand (dialogue_turns).
    state = dialogue_state(dialogue_id=dialogue.pk, limit=TURNS_PAGE)
    context = room_context(state, role, request.user.pk, draft=draft, error=error)
    if role != flow.Role.OBSERVER and dialogue.couple.is_active:
        therapist = dialogue_therapist(dialogue=dialogue)
        context["therapist"] = therapist
        context["therapist_invited"] = (
            therapist is not None and dialogue.invited_therapist_id == therapist.pk
        )
    return render(request, "dialogue/room.html", context, status=status)


@login_required
@require_GET
def dialogue_room(request: HttpRequest, pk: object) -> HttpResponse:
    dialogue, role = get_dialogue_for_user(request, pk, what="Opened the dialogue")
    notification_read_target(user=request.user, target=dialogue.group_name)
    return _render_room(request, dialogue, role)


@login_required
@require_POST
def dialogue_act(request: HttpRequest, pk: object) -> HttpResponse:
    """The same action the websocket takes, as a plain form post: works without JavaScript."""
    dialogue, role = get_dialogue_for_user(request, pk)
    form = TurnForm(request.POST)
    try:
        if not form.is_valid():
            raise form.as_error()
        turn_submit(dialogue_id=dialogue.pk, user=request.user, **form.service_kwargs())
    except DialogueError as error:
        # Re-read: the partner may have moved on (even swapped roles) since the page was drawn.
        dialogue, role = get_dialogue_for_user(request, pk)
        draft = request.POST.get("text", "") if request.POST.get("action") != "timeout" else None
        return _render_room(request, dialogue, role, draft=draft, error=error.message, status=400)
    return redirect("dialogue:room", pk=dialogue.pk)


@login_required
@require_POST
def dialogue_coach(request: HttpRequest, pk: object) -> HttpResponse:
    """The watching therapist's prompt, time-out or timer, as a plain form post (the websocket's
    `coach` message does the same)."""
    dialogue, _role = get_dialogue_for_user(request, pk)
    form = CoachingForm(request.POST)
    try:
        if not form.is_valid():
            raise form.as_error()
        coaching_submit(dialogue_id=dialogue.pk, user=request.user, **form.service_kwargs())
    except DialogueError as error:
        refuse(request, error)
    return redirect("dialogue:room", pk=dialogue.pk)


def _seq(value: str | None) -> int | None:
    """A turn number from the query string; None if it is not one."""
    if value and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None


@login_required
@require_GET
def dialogue_turns(request: HttpRequest, pk: object) -> HttpResponse:
    """The room's "Load earlier turns" (htmx): the page of turns before `?before=`, with the
    link to the page before that. Opened as a page (no JavaScript, a bookmark), the same turns
    are on the transcript's page."""
    dialogue, role = get_dialogue_for_user(request, pk, what="Read earlier turns")
    before = _seq(request.GET.get("before")) or 1
    if not request.htmx:
        return redirect(f"{reverse('dialogue:transcript', args=[dialogue.pk])}?before={before}")
    state = dialogue_state(dialogue_id=dialogue.pk, before=before, limit=TURNS_PAGE)
    context = {**window_context(state, request.user.pk), "observer": role == flow.Role.OBSERVER}
    return render(request, "dialogue/room.html#window", context)


@login_required
@require_GET
def dialogue_transcript(request: HttpRequest, pk: object) -> HttpResponse:
    """The printable transcript, TRANSCRIPT_PAGE turns a page (the latest first; `?before=` pages
    back), or all of it with `?all=1`."""
    dialogue, _role = get_dialogue_for_user(request, pk, what="Read the transcript")
    whole = request.GET.get("all") == "1"
    before = _seq(request.GET.get("before"))
    state = dialogue_state(
        dialogue_id=dialogue.pk, before=before, limit=None if whole else TRANSCRIPT_PAGE
    )
    snapshot = state["dialogue"]
    last_shown = state["turns"][-1]["seq"] if state["turns"] else 0
    later = ""
    if last_shown < snapshot["last_seq"]:
        after = last_shown + 1 + TRANSCRIPT_PAGE
        later = "?" if after > snapshot["last_seq"] else f"?before={after}"
    return render(
        request,
        "dialogue/transcript.html",
        {
            "dialogue": snapshot,
            "variant": dialogue.variant,
            "turns": transcript_items(state["turns"], state["coaching"], dialogue.variant),
            "turn_count": snapshot["last_seq"],
            "viewer_id": request.user.pk,
            "started": dialogue.created_at,
            "ended": dialogue.ended_at,
            "earlier": state["earlier"],
            "later": later,
            "shown": bool(state["turns"]),
            "first_seq": state["first_seq"],
            "last_shown": last_shown,
        },
    )


def _practice_page(request: HttpRequest, practice: dict[str, object], *, draft: str = "",
                   error: str = "", status: int = 200) -> HttpResponse:  # fmt: skip
    name = request.user.display_name or "You"
    snapshot = practice_snapshot(practice, name)
    role = flow.Role(practice["you"])
    standard = flow.STANDARD
    first_step_of: dict[str, flow.Step] = {}
    for step, phase in standard.phase_of.items():
        first_step_of.setdefault(phase, step)
    # One line a phase: what the one acting does at its first step.
    steps = [
        {"label": label, "guidance": standard.guidance_for(first_step_of[key], flow.Role.SENDER)[0]}
        for key, label in standard.phases
    ]
    context = {
        "dialogue": snapshot,
        "panel": panel_context(snapshot, role),
        "turns": [turn_context(turn, standard) for turn in practice["turns"]],
        "viewer_id": None,
        "steps": steps,
        "partner_name": flow.PRACTICE_PARTNER_NAME,
        "text_limit": TEXT_LIMIT,
        "draft": draft,
        "error": error,
    }
    return render(request, "dialogue/practice.html", context, status=status)


@login_required
def dialogue_practice(request: HttpRequest) -> HttpResponse:
    """The walk-through and a practice round against a scripted partner, kept in the session."""
    practice = request.session.get(PRACTICE) or practice_new()
    if request.method == "POST":
        try:
            practice = practice_act(
                practice=practice,
                user_name=request.user.display_name or "You",
                action=request.POST.get("action", ""),
                text=request.POST.get("text", ""),
            )
        except ImagoError as error:
            return _practice_page(request, request.session.get(PRACTICE) or practice_new(),
                                  draft=request.POST.get("text", ""), error=error.message,
                                  status=400)  # fmt: skip
        request.session[PRACTICE] = practice
        request.session[WALKTHROUGH_SKIPPED] = True
        return redirect(reverse("dialogue:practice") + "#practice")
    return _practice_page(request, practice)


@login_required
@require_POST
def dialogue_practice_restart(request: HttpRequest) -> HttpResponse:
    request.session[PRACTICE] = practice_new()
    return redirect(reverse("dialogue:practice") + "#practice")


@login_required
@require_POST
def dialogue_walkthrough_skip(request: HttpRequest) -> HttpResponse:
    request.session[WALKTHROUGH_SKIPPED] = True
    return redirect("dialogue:list")


@login_required
@require_GET
def dialogue_export_json(request: HttpRequest, pk: object) -> HttpResponse:
    dialogue, _role = get_dialogue_for_user(request, pk, what="Downloaded the transcript")
    response = JsonResponse(
        dialogue_export(dialogue_state(dialogue_id=dialogue.pk)),
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["Content-Disposition"] = f'attachment; filename="dialogue-{dialogue.pk}.json"'
    return response


@login_required
@require_POST
def dialogue_therapist_invite(request: HttpRequest, pk: object) -> HttpResponse:
    dialogue, _role = get_dialogue_for_user(request, pk)
    invite = request.POST.get("invite") == "yes"
    try:
        dialogue_invite_therapist(dialogue_id=dialogue.pk, user=request.user, invite=invite)
    except DialogueError as error:
        refuse(request, error)
    else:
        messages.success(
            request,
            "Your therapist can now watch this dialogue."
            if invite
            else "Your therapist no longer sees this dialogue.",
        )
    return redirect("dialogue:room", pk=dialogue.pk)


# --- Appointments --------------------------------------------------------------------------------


def _get_appointment_for_user(request: HttpRequest, pk: object) -> Appointment:
    appointment = appointment_for(user=request.user, pk=pk)
    if appointment is None:
        raise Http404("No such appointment.")
    return appointment


def _appointments_page(
    request: HttpRequest, form: AppointmentForm, *, status: int = 200
) -> HttpResponse:
    couple = active_couple_for(request.user)
    return render(
        request,
        "dialogue/appointments.html",
        {
            "couple": couple,
            "appointments": appointments_upcoming(user=request.user),
            "form": form,
            "zone": user_zone(request.user),
        },
        status=status,
    )


@login_required
@require_GET
def appointments(request: HttpRequest) -> HttpResponse:
    return _appointments_page(request, AppointmentForm())


@login_required
@require_POST
def appointment_new(request: HttpRequest) -> HttpResponse:
    couple = active_couple_for(request.user)
    if couple is None:
        messages.error(request, "Planning a dialogue needs your partner: pair with them first.")
        return redirect("dialogue:appointments")
    with timezone.override(user_zone(request.user)):
        form = AppointmentForm(request.POST)
        valid = form.is_valid()
    if valid:
        try:
            appointment_set(couple=couple, by=request.user, at=form.cleaned_data["at"])
        except AppointmentError as error:
            refuse(request, error, form=form, field="at")
        else:
            messages.success(request, "Planned. You'll both be reminded.")
            return redirect("dialogue:appointments")
    return _appointments_page(request, form, status=400)


@login_required
@require_POST
def appointment_move_view(request: HttpRequest, pk: object) -> HttpResponse:
    appointment = _get_appointment_for_user(request, pk)
    with timezone.override(user_zone(request.user)):
        form = AppointmentForm(request.POST)
        valid = form.is_valid()
    if valid:
        try:
            appointment_move(appointment=appointment, by=request.user, at=form.cleaned_data["at"])
        except AppointmentError as error:
            refuse(request, error, form=form, field="at")
        else:
            messages.success(request, "Moved. You'll both be reminded at the new time only.")
            return redirect("dialogue:appointments")
    return _appointments_page(request, form, status=400)


@login_required
@require_POST
def appointment_cancel_view(request: HttpRequest, pk: object) -> HttpResponse:
    appointment = _get_appointment_for_user(request, pk)
    try:
        appointment_cancel(appointment=appointment, by=request.user)
    except AppointmentError as error:
        refuse(request, error)
    else:
        messages.success(request, "Cancelled. Neither of you will be reminded.")
    return redirect("dialogue:appointments")


@login_required
@require_GET
def appointment_ics_view(request: HttpRequest, pk: object) -> HttpResponse:
    appointment = _get_appointment_for_user(request, pk)
    body = appointment_ics(
        appointment=appointment, user=request.user, site_url=request.build_absolute_uri("/")
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="imago-appointment.ics"'
    return response
