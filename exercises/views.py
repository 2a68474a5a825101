from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from couples.access import look_record, therapist_couples
from couples.models import Couple
from couples.notifications import notification_read_target

from . import access, exports, overview, services
from .desk import partner_homework
from .forms import (
    FollowThroughForm,
    GiftForm,
    HistoryFilterForm,
    HomeworkLinkForm,
    TruthForm,
    VisibilityForm,
    VisionMergeForm,
)
from .models import Entry, Homework
from .registry import KINDS, KindSpec
from .services import ExerciseError, shared_vision_items, vision_entries

PAGE_SIZE = 20


def _spec_or_404(kind: str) -> KindSpec:
    if kind not in KINDS:
        raise Http404
    return KINDS[kind]


def _can(request: HttpRequest) -> access.ViewerCan:
    """What the requester may do on exercise pages, asked once per request."""
    if not hasattr(request, "_exercises_can"):
        request._exercises_can = access.viewer_can(request.user)
    return request._exercises_can


def _context(request: HttpRequest, **extra: object) -> dict[str, object]:
    return {
        "today": timezone.localdate(),
        "kinds": KINDS.values(),
        "viewer_can": _can(request),
        **extra,
    }


def _scope(request: HttpRequest) -> Couple | None:
    """The couple a page is scoped to with `?couple=<id>` (404 unless the viewer reaches it)."""
    return access.scope_couple(request, request.GET.get("couple"))


# --- Overview ----------------------------------------------------------------------------------


@login_required
@require_GET
def exercises_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = _scope(request)
    couple = _can(request).couple
    context = _context(
        request,
        couple=couple,
        partner=couple.partner_of(user) if couple else None,
        scope=scope,
        **overview.home_overview(user, couple=scope, active=couple),
    )
    look_record(
        viewer=user,
        couples=[scope] if scope else therapist_couples(user),
        what="The exercises overview",
        path=request.get_full_path(),
    )
    return render(request, "exercises/home.html", context)


# --- One exercise's page, and the create / edit / delete / share flow shared by all six ----------


def _forms(
    request: HttpRequest,
    spec: KindSpec,
    data: object = None,
    *,
    detail: object = None,
    homework: list[Homework] | None = None,
    homework_id: object = None,
) -> dict[str, object]:
    instance = detail if detail is not None else spec.model()
    # An edit form shares the page with the create form and other cards: its own ids.
    auto_id = "id_%s" if detail is None else f"id_{str(detail.pk)[:8]}_%s"
    # No "Label:" colon: our labels are sentence stems ("What frustrates me is…").
    options = {"auto_id": auto_id, "label_suffix": ""}
    forms: dict[str, object] = {"form": spec.form(data, instance=instance, **options)}
    forms["formset"] = (
        spec.formset(
            data,
            instance=instance,
            prefix="rows",
            auto_id=auto_id,
            form_kwargs={"label_suffix": ""},
        )
        if spec.formset
        else None
    )
    if detail is None:
        can_share = _can(request).share
        forms["visibility_form"] = VisibilityForm(data, can_share=can_share, label_suffix="")
        # Homework of this exercise still to do: the new entry may be written for one of them.
        if homework is None:
            homework = partner_homework(viewer=request.user, kind=spec.kind)
        open_homework = [h for h in homework if h.mine is None]
        forms["homework_form"] = (
            HomeworkLinkForm(
                data, homework=open_homework, initial={"homework": homework_id}, label_suffix=""
            )
            # A homework id posted by someone with none to do is refused, not ignored.
            if open_homework or (data and data.get("homework"))
            else None
        )
    return forms


def _forms_valid(forms: dict[str, object]) -> bool:
    # Validate everything so every mistake is shown at once, not one form at a time.
    results = [f.is_valid() for f in forms.values() if f is not None]
    return all(results)


def _kind_extras(request: HttpRequest, spec: KindSpec, scope: Couple | None) -> dict[str, object]:
    """What the kind's own section of its page needs (the caring week, the calendar…)."""
    return spec.page_extras(request, _can(request), scope) if spec.page_extras else {}


@login_required
@require_GET
def kind_page(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _spec_or_404(kind)
    scope = _scope(request)
    homework = partner_homework(viewer=request.user, kind=spec.kind)
    page = Paginator(
        access.entries_visible(request.user, couple=scope).filter(kind=spec.kind), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    entries = access.entries_prepare(page.object_list, request.user)
    look_record(
        viewer=request.user,
        couples=[entry.couple for entry in entries],
        what=f"{spec.label_plural}: a page of the list",
        path=request.get_full_path(),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = _context(
        request,
        spec=spec,
        page=page,
        query=query.urlencode(),
        entries=entries,
        scope=scope,
        action=reverse("exercises:entry_create", args=[spec.kind]),
        form_id="new-entry",
        inline=True,  # new entries are swapped into the list on this page
        my_homework=homework,
        **_forms(request, spec, homework=homework, homework_id=request.GET.get("homework")),
        **_kind_extras(request, spec, scope),
    )
    return render(request, "exercises/kind.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _spec_or_404(kind)
    if not _can(request).write:  # a therapist reads what partners write, never writes it
        raise Http404
    forms = _forms(request, spec, request.POST or None)
    context = _context(
        request,
        spec=spec,
        action=reverse("exercises:entry_create", args=[spec.kind]),
        form_id="new-entry",
        inline=request.htmx,
    )
    if request.method == "POST" and _forms_valid(forms):
        try:
            entry = services.entry_create(
                author=request.user,
                kind=spec.kind,
                visibility=forms["visibility_form"].cleaned_data["visibility"],
                form=forms["form"],
                formset=forms["formset"],
                homework=forms["homework_form"].chosen() if forms["homework_form"] else None,
            )
        except ExerciseError as error:
            context["error"] = error.message
        else:
            if not request.htmx:
                messages.success(request, f"Saved: {entry.title}")
                return redirect("exercises:kind", kind=spec.kind)
            entry = access.get_entry_for_user(request, entry.pk)
            context.update(created=entry, **_forms(request, spec))
            return render(request, "exercises/entry_form.html#form", context)
    context.update(forms)
    template = "exercises/entry_form.html#form" if request.htmx else "exercises/entry_form.html"
    return render(request, template, context)


def _entry_response(
    request: HttpRequest, entry: Entry, *, error: ExerciseError | str = "", notice: str = ""
) -> HttpResponse:
    """After an action on an entry: the refreshed card for HTMX, else back to its page."""
    error = error.message if isinstance(error, ExerciseError) else error
    if request.htmx:
        entry = access.get_entry_for_user(request, entry.pk)
        context = _context(request, entry=entry, error=error, notice=notice)
        return render(request, "exercises/entry.html#entry", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("exercises:entry", pk=entry.pk)


@login_required
@require_GET
def entry_detail(request: HttpRequest, pk: object) -> HttpResponse:
    entry = access.get_entry_for_user(request, pk)
    notification_read_target(user=request.user, target=services.entry_target(entry))
    template = "exercises/entry.html#entry" if request.htmx else "exercises/entry.html"
    return render(request, template, _context(request, entry=entry))


@login_required
@require_http_methods(["GET", "POST"])
def entry_update(request: HttpRequest, pk: object) -> HttpResponse:
    entry = access.get_entry_for_user(request, pk, need="author")
    if not entry.can.edit:
        return _entry_response(
            request, entry, error="This entry can't be changed any more. You can still delete it."
        )
    spec = entry.spec
    forms = _forms(request, spec, request.POST or None, detail=entry.detail)
    context = _context(
        request,
        spec=spec,
        entry=entry,
        action=reverse("exercises:entry_update", args=[entry.pk]),
        form_id=f"entry-{entry.pk}",
        **forms,
    )
    if request.method == "POST" and _forms_valid(forms):
        try:
            services.entry_update(
                entry=entry, by=request.user, form=forms["form"], formset=forms["formset"]
            )
        except ExerciseError as error:
            context["error"] = error.message
        else:
            return _entry_response(request, entry, notice="Saved.")
    template = "exercises/entry_form.html#form" if request.htmx else "exercises/entry_form.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_delete(request: HttpRequest, pk: object) -> HttpResponse:
    entry = access.get_entry_for_user(request, pk, need="delete")
    if request.method == "POST":
        services.entry_delete(entry=entry, by=request.user)
        if request.htmx:
            return render(request, "exercises/delete.html#deleted", _context(request, entry=entry))
        messages.success(request, f"Deleted: {entry.title}")
        return redirect("exercises:kind", kind=entry.kind)
    template = "exercises/delete.html#confirm" if request.htmx else "exercises/delete.html"
    return render(request, template, _context(request, entry=entry))


@login_required
@require_POST
def entry_set_visibility(request: HttpRequest, pk: object) -> HttpResponse:
    entry = access.get_entry_for_user(request, pk, need="share")
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        return _entry_response(request, entry, error="Choose who can see this entry.")
    try:
        entry = services.entry_set_visibility(
            entry=entry, by=request.user, visibility=form.cleaned_data["visibility"]
        )
    except ExerciseError as error:
        return _entry_response(request, entry, error=error)
    return _entry_response(request, entry, notice=f"Now: {entry.get_visibility_display()}.")


# --- Partner actions ---------------------------------------------------------------------------
# Only the couple's own partners reach these (a therapist gets 404); a refusal among them (already
# answered, your own entry, the couple ended) is the service's to explain, on the refreshed card.


@login_required
@require_POST
def appreciation_acknowledge(request: HttpRequest, pk: object) -> HttpResponse:
    entry = access.get_entry_for_user(request, pk, need="act")
    try:
        services.appreciation_acknowledge(entry=entry, by=request.user)
    except ExerciseError as error:
        return _entry_response(request, entry, error=error)
    return _entry_response(request, entry, notice="You said thank you.")


@login_required
@require_POST
def request_choose_gift(request: HttpRequest, pk: object) -> HttpResponse:
    entry = access.get_entry_for_user(request, pk, need="act")
    try:
        item = services.request_choose_gift(
            entry=entry, by=request.user, item_id=request.POST.get("item")
        )
    except ExerciseError as error:
        return _entry_response(request, entry, error=error)
    return _entry_response(
        request, entry, notice=f"Thank you. You're giving “{item.what}” until {item.ends_on:%d %b}."
    )


@login_required
@require_POST
def request_decline_all(request: HttpRequest, pk: object) -> HttpResponse:
    entry = access.get_entry_for_user(request, pk, need="act")
    try:
        services.request_decline_all(entry=entry, by=request.user)
    except ExerciseError as error:
        return _entry_response(request, entry, error=error)
    return _entry_response(request, entry, notice="You've declined these requests for now.")


@login_required
@require_POST
def request_log_followthrough(request: HttpRequest, pk: object) -> HttpResponse:
    entry = access.get_entry_for_user(request, pk, need="act")
    form = FollowThroughForm(request.POST)
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        return _entry_response(request, entry, error=error)
    try:
        services.request_log_followthrough(entry=entry, by=request.user, **form.cleaned_data)
    except ExerciseError as error:
        return _entry_response(request, entry, error=error)
    return _entry_response(request, entry, notice="Logged.")


@login_required
@require_POST
def gift_item_set_aside(request: HttpRequest, item_pk: int, kind: str) -> HttpResponse:
    entry = access.get_gift_item_entry(request, kind, item_pk, need="act")
    aside = request.POST.get("aside") == "1"
    try:
        services.gift_item_set_aside(kind=kind, item_id=item_pk, by=request.user, aside=aside)
    except ExerciseError as error:
        return _entry_response(request, entry, error=error)
    notice = "Set aside for now." if aside else "Taken back up."
    return _entry_response(request, entry, notice=notice)


@login_required
@require_POST
def gift_log(request: HttpRequest, item_pk: int, kind: str) -> HttpResponse:
    entry = access.get_gift_item_entry(request, kind, item_pk, need="act")
    form = GiftForm(request.POST)
    if not form.is_valid():
        return _entry_response(request, entry, error="Choose a day that isn't in the future.")
    try:
        services.gift_log(
            kind=kind, item_id=item_pk, by=request.user, given_on=form.cleaned_data["given_on"]
        )
    except ExerciseError as error:
        return _entry_response(request, entry, error=error)
    return _entry_response(request, entry, notice="Logged — thank you for caring.")


# --- Relationship vision: merge and the shared vision ------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def vision_merge(request: HttpRequest) -> HttpResponse:
    vision = access.vision_couple(request)
    if not vision.rw:
        raise Http404
    couple = vision.couple
    mine, theirs = vision_entries(couple=couple, user=request.user)
    items = list(
        access.vision_items_visible(request.user)
        .filter(vision__entry__in=theirs)
        .prefetch_related("responses")
    )
    for item in items:
        item.my_response = next(
            (r for r in item.responses.all() if r.user_id == request.user.pk), None
        )
    form = VisionMergeForm(request.POST or None, items=items, label_suffix="")
    context = _context(
        request, form=form, mine=mine, theirs=theirs, partner=couple.partner_of(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            accepted = services.vision_merge(
                couple=couple, by=request.user, decisions=form.decisions()
            )
        except ExerciseError as error:
            context["error"] = error.message
        else:
            messages.success(request, f"You accepted {accepted} of your partner's statements.")
            return redirect("exercises:vision_shared")
    return render(request, "exercises/vision_merge.html", context)


@login_required
@require_GET
def vision_shared(request: HttpRequest, couple: object | None = None) -> HttpResponse:
    """The couple's merged vision: a partner's own couple, or (with `couple`) any couple the
    viewer reaches — a consented therapist reads their client's."""
    vision = access.vision_couple(request, couple)
    items = shared_vision_items(couple=vision.couple, user=request.user)
    look_record(
        viewer=request.user,
        couples=vision.couple,
        what="The shared relationship vision",
        path=request.path,
    )
    return render(
        request,
        "exercises/vision_shared.html",
        _context(request, items=items, couple=vision.couple, rw=vision.rw),
    )


@login_required
@require_POST
def vision_rate_truth(request: HttpRequest, item_pk: int) -> HttpResponse:
    if not access.vision_couple(request).rw:
        raise Http404
    access.get_vision_item(request, item_pk)
    form = TruthForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Rate how true it is now from 1 to 5.")
        return redirect("exercises:vision_shared")
    try:
        services.vision_rate_truth(
            item_id=item_pk, by=request.user, truth=form.cleaned_data["truth"]
        )
    except ExerciseError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Thank you — your rating is saved.")
    return redirect("exercises:vision_shared")


# --- History: everything shared, newest first --------------------------------------------------


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = HistoryFilterForm(request.GET or None, label_suffix="")
    entries = access.entries_shared(request.user, couple=scope).order_by("-created_at")
    if form.is_valid():
        entries = overview.history_filter(entries, **form.cleaned_data)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    look_record(
        viewer=request.user,
        couples=[entry.couple for entry in page.object_list],
        what="Shared history: a page of the list",
        path=request.get_full_path(),
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = _context(
        request,
        form=form,
        page=page,
        entries=overview.entries_headed(page.object_list),
        query=query.urlencode(),
        scope=scope,
    )
    template = "exercises/history.html#results" if request.htmx else "exercises/history.html"
    return render(request, template, context)


# --- Export of one's own entries ---------------------------------------------------------------


def _download(body: str, content_type: str, extension: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.export_filename(extension)}"'
    return response


@login_required
@require_GET
def export_json(request: HttpRequest) -> HttpResponse:
    return _download(exports.export_json(request.user), "application/json", "json")


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    return _download(exports.export_csv(request.user), "text/csv; charset=utf-8", "csv")
