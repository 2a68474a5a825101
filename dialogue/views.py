from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from couples.services import active_couple_for, therapist_list_look_record

from . import flow
from .forms import DialogueStartForm, TurnForm
from .fragments import room_context, turn_context
from .models import Dialogue
from .services import (
    DialogueError,
    dialogue_access,
    dialogue_invite_therapist,
    dialogue_record_look,
    dialogue_start,
    dialogue_state,
    dialogue_therapist,
    turn_submit,
)


def _get_dialogue_for_user(request: HttpRequest, pk: object) -> tuple[Dialogue, flow.Role]:
    """The dialogue and the requester's role in it; 404 for anyone else, so another couple's
    dialogue is indistinguishable from one that does not exist."""
    access = dialogue_access(user=request.user, pk=pk)
    if access is None:
        raise Http404("No such dialogue.")
    return access


def _list_context(request: HttpRequest, start_form: DialogueStartForm) -> dict[str, object]:
    couple = active_couple_for(request.user)
    dialogues = Dialogue.objects.visible_to(request.user).select_related(
        "couple", "sender", "receiver"
    )
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
    if request.user.is_therapist:
        therapist_list_look_record(
            therapist=request.user,
            couples={dialogue.couple for dialogue in [*context["open"], *context["finished"]]},
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
            form.add_error(None, error.reason)
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
        state["dialogue"], state["turns"], role, request.user.pk, draft=draft, error=error
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
    dialogue, role = _get_dialogue_for_user(request, pk)
    dialogue_record_look(
        dialogue=dialogue, user=request.user, what="Opened the dialogue", path=request.path
    )
    return _render_room(request, dialogue, role)


@login_required
@require_POST
def dialogue_act(request: HttpRequest, pk: object) -> HttpResponse:
    """The same action the websocket takes, as a plain form post: works without JavaScript."""
    dialogue, role = _get_dialogue_for_user(request, pk)
    form = TurnForm(request.POST)
    try:
        if not form.is_valid():
            raise form.as_error()
        turn_submit(dialogue_id=dialogue.pk, user=request.user, **form.service_kwargs())
    except DialogueError as error:
        # Re-read: the partner may have moved on (even swapped roles) since the page was drawn.
        dialogue, role = _get_dialogue_for_user(request, pk)
        draft = request.POST.get("text", "") if request.POST.get("action") != "timeout" else None
        return _render_room(request, dialogue, role, draft=draft, error=error.reason, status=400)
    return redirect("dialogue:room", pk=dialogue.pk)


@login_required
@require_GET
def dialogue_transcript(request: HttpRequest, pk: object) -> HttpResponse:
    dialogue, _role = _get_dialogue_for_user(request, pk)
    dialogue_record_look(
        dialogue=dialogue, user=request.user, what="Read the transcript", path=request.path
    )
    state = dialogue_state(dialogue_id=dialogue.pk)
    return render(
        request,
        "dialogue/transcript.html",
        {
            "d": state["dialogue"],
            "turns": [turn_context(turn) for turn in state["turns"]],
            "viewer_id": request.user.pk,
            "started": dialogue.created_at,
            "ended": dialogue.ended_at,
        },
    )


@login_required
@require_POST
def dialogue_therapist_invite(request: HttpRequest, pk: object) -> HttpResponse:
    dialogue, _role = _get_dialogue_for_user(request, pk)
    invite = request.POST.get("invite") == "yes"
    try:
        dialogue_invite_therapist(dialogue_id=dialogue.pk, user=request.user, invite=invite)
    except DialogueError as error:
        messages.error(request, error.reason)
    else:
        messages.success(
            request,
            "Your therapist can now watch this dialogue."
            if invite
            else "Your therapist no longer sees this dialogue.",
        )
    return redirect("dialogue:room", pk=dialogue.pk)
