from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from couples.access import active_couple_for, look_record
from couples.notifications import notification_read_target, user_zone
from imago_site.http import refuse

from . import flow
from .access import dialogues_visible, get_dialogue_for_user
from .appointments import (
    AppointmentError,
    appointment_cancel,
    appointment_for,
    appointment_ics,
    appointment_move,
    appointment_set,
    appointments_upcoming,
)
from .forms import AppointmentForm, CoachingForm, DialogueStartForm, TurnForm
from .fragments import room_context, transcript_items
from .models import Appointment, Dialogue
from .services import (
    DialogueError,
    coaching_submit,
    dialogue_invite_therapist,
    dialogue_start,
    dialogue_state,
    dialogue_therapist,
    turn_submit,
)


def _list_context(request: HttpRequest, start_form: DialogueStartForm) -> dict[str, object]:
    couple = active_couple_for(request.user)
    dialogues = dialogues_visible(request.user)
    return {
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
            dialogue = dialogue_start(
                couple=couple, user=request.user, topic=form.cleaned_data["topic"]
            )
        except DialogueError as error:
            refuse(request, error, form=form)
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
    state = dialogue_state(dialogue_id=dialogue.pk)
    context = room_context(
        state["dialogue"],
        state["turns"],
        role,
        request.user.pk,
        coaching=state["coaching"],
        draft=draft,
        error=error,
    )
    if role != flow.Role.OBSERVER and dialogue.couple.is_active:
        context["therapist"] = dialogue_therapist(dialogue=dialogue)
        context["therapist_invited"] = (
            context["therapist"] is not None
            and dialogue.invited_therapist_id == context["therapist"].pk
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


@login_required
@require_GET
def dialogue_transcript(request: HttpRequest, pk: object) -> HttpResponse:
    dialogue, _role = get_dialogue_for_user(request, pk, what="Read the transcript")
    state = dialogue_state(dialogue_id=dialogue.pk)
    return render(
        request,
        "dialogue/transcript.html",
        {
            "d": state["dialogue"],
            "turns": transcript_items(state["turns"], state["coaching"], dialogue.variant),
            "turn_count": len(state["turns"]),
            "viewer_id": request.user.pk,
            "started": dialogue.created_at,
            "ended": dialogue.ended_at,
        },
    )


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
