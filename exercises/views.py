from __future__ import annotations

import calendar
import csv
import json
from collections import defaultdict
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from couples.access import active_couple_for, look_record, member_couples
from couples.models import Couple, User

from . import services
from .charts import CHART_WEEKS, activity_chart, local_midnight, week_start
from .desk import partner_homework
from .exports import entry_record, prefetch_details
from .forms import (
    FIRST_DAY,
    LAST_DAY,
    CaringGiftForm,
    FollowThroughForm,
    HistoryFilterForm,
    HomeworkLinkForm,
    TruthForm,
    VisibilityForm,
    VisionMergeForm,
)
from .models import (
    CaringGift,
    CaringItem,
    Entry,
    EntryQuerySet,
    Homework,
    Kind,
    RequestItem,
    Visibility,
    VisionItem,
)
from .registry import DETAIL_RELATIONS, KINDS, KindSpec
from .services import ExerciseError, shared_vision_items, vision_entries

PAGE_SIZE = 20
WAITING_SHOWN = 5

# --- Access: every read goes through Entry.objects.visible_to ----------------------------------


def _entries(user: User) -> EntryQuerySet:
    return Entry.objects.visible_to(user).select_related("author", "couple", *DETAIL_RELATIONS)


def _with_rows(entries: list[Entry], user: User) -> list[Entry]:
    """Prefetch each kind's rows (a fixed number of queries per kind on the page, whatever the
    number of entries) and add what the templates need to know about the viewer."""
    prefetch_details(entries)
    for entry in entries:
        _describe(entry, user)
    return entries


def _describe(entry: Entry, user: User) -> None:
    entry.spec = KINDS[entry.kind]
    entry.is_mine = entry.author_id == user.pk
    # visible_to lets in only the author, their partner and the consented therapist; therapist
    # accounts can't be partners, so "not mine and not a therapist" is the partner.
    entry.viewer_is_partner = not entry.is_mine and not user.is_therapist
    entry.can_answer = entry.viewer_is_partner and entry.couple_is_active
    entry.viewer_in_couple = entry.is_mine or entry.viewer_is_partner
    answered = entry.kind == Kind.REQUEST and entry.request.is_answered
    entry.can_edit = (
        entry.is_mine
        and not answered
        and not (entry.is_shared and entry.couple is not None and not entry.couple_is_active)
    )
    entry.visibility_choices = Visibility.choices
    if entry.kind == Kind.CARING:
        items = list(entry.caring.items.all())
        today = timezone.localdate()
        for item in items:
            item.given_today = any(
                g.giver_id == user.pk and g.given_on == today for g in item.gifts.all()
            )
        entry.caring_groups = [
            (label, [item for item in items if item.category == value])
            for value, label in CaringItem.Category.choices
        ]
    elif entry.kind == Kind.REQUEST:
        chosen = entry.request.chosen_item()
        entry.chosen = chosen
        entry.can_log = (
            chosen is not None
            and entry.viewer_in_couple
            and entry.couple_is_active
            and chosen.ends_on >= timezone.localdate()
        )
    elif entry.kind == Kind.VISION:
        for item in entry.vision.items.all():
            item.partner_response = next(
                (r for r in item.responses.all() if r.user_id != entry.author_id), None
            )


def _get_entry_for_user(request: HttpRequest, pk: object) -> Entry:
    """The entry if the requester may see it; 404 otherwise (never 403: no hint it exists).
    A therapist's look is recorded for the partners to see."""
    entry = get_object_or_404(_entries(request.user), pk=pk)
    look_record(
        viewer=request.user,
        couples=entry.couple,
        what=f"{KINDS[entry.kind].label} by {entry.author}: “{entry.title}”",
        path=request.path,
    )
    return _with_rows([entry], request.user)[0]


def _get_own_entry(request: HttpRequest, pk: object) -> Entry:
    entry = _get_entry_for_user(request, pk)
    if not entry.is_mine:
        raise Http404
    return entry


def _spec_or_404(kind: str) -> KindSpec:
    if kind not in KINDS:
        raise Http404
    return KINDS[kind]


def _context(request: HttpRequest, **extra: object) -> dict[str, object]:
    return {"today": timezone.localdate(), "kinds": KINDS.values(), **extra}


# --- Overview ----------------------------------------------------------------------------------


def _couple_activity(user: User, couple: Couple | None) -> EntryQuerySet:
    """Mine (any visibility) and what my partner shares with me in my current couple."""
    mine = Q(author=user)
    return Entry.objects.visible_to(user).filter(mine | Q(couple=couple) if couple else mine)


@login_required
@require_GET
def exercises_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    couple = active_couple_for(user)
    partner = couple.partner_of(user) if couple else None
    today = timezone.localdate()
    this_week = week_start(today)
    first_week = this_week - timedelta(weeks=CHART_WEEKS - 1)
    activity = _couple_activity(user, couple)

    done = defaultdict(lambda: {"mine": 0, "theirs": 0})
    for row in (
        activity.filter(created_at__gte=local_midnight(this_week))
        .values("kind", "author_id")
        .annotate(n=Count("pk"))
    ):
        done[row["kind"]]["mine" if row["author_id"] == user.pk else "theirs"] += row["n"]
    week_cards = [(spec, done[kind]["mine"], done[kind]["theirs"]) for kind, spec in KINDS.items()]

    waiting: dict[str, object] = {}
    if couple:
        from_partner = Entry.objects.visible_to(user).shared_in(couple).exclude(author=user)
        unanswered = (
            from_partner.filter(kind=Kind.REQUEST, request__declined_at__isnull=True)
            .exclude(
                Exists(RequestItem.objects.filter(request=OuterRef("pk"), chosen_at__isnull=False))
            )
            .select_related("author")
        )
        waiting["requests"] = list(unanswered[:WAITING_SHOWN])
        waiting["more_requests"] = max(0, unanswered.count() - WAITING_SHOWN)
        waiting["appreciations"] = from_partner.filter(
            kind=Kind.APPRECIATION, appreciation__acknowledged_at__isnull=True
        ).count()
        waiting["vision"] = (
            Entry.objects.visible_to(user)
            .shared_in(couple)
            .filter(kind=Kind.VISION)
            .aggregate(
                mine=Count("pk", filter=Q(author=user)),
                theirs=Count("pk", filter=~Q(author=user)),
            )
        )
        waiting["vision"]["undecided"] = (
            VisionItem.objects.filter(
                vision__entry__in=from_partner.filter(kind=Kind.VISION).values("pk")
            )
            .exclude(responses__user=user)
            .count()
        )
    stamps = list(
        activity.filter(created_at__gte=local_midnight(first_week)).values_list(
            "created_at", flat=True
        )
    )
    return render(
        request,
        "exercises/home.html",
        _context(
            request,
            couple=couple,
            partner=partner,
            week_cards=week_cards,
            week_start=this_week,
            waiting=waiting,
            chart=activity_chart(stamps, first_week),
        ),
    )


# --- One exercise's page, and the create / edit / delete / share flow shared by all six ----------


def _forms(
    spec: KindSpec,
    data: object = None,
    *,
    detail: object = None,
    user: User | None = None,
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
        couple = active_couple_for(user)
        forms["visibility_form"] = VisibilityForm(
            data, can_share=couple is not None, label_suffix=""
        )
        # Homework of this exercise still to do: the new entry may be written for one of them.
        if homework is None:
            homework = partner_homework(viewer=user, kind=spec.kind)
        open_homework = [h for h in homework if h.is_open]
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


def _record_therapist_looks(request: HttpRequest, entries: list[Entry], what: str) -> None:
    look_record(
        viewer=request.user,
        couples=[entry.couple for entry in entries],
        what=what,
        path=request.get_full_path(),
    )


def _kind_entries(request: HttpRequest, spec: KindSpec) -> tuple[object, list[Entry]]:
    page = Paginator(_entries(request.user).filter(kind=spec.kind), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    entries = list(page.object_list)
    _record_therapist_looks(request, entries, f"{spec.label_plural}: a page of the list")
    return page, _with_rows(entries, request.user)


def _kind_extras(request: HttpRequest, spec: KindSpec) -> dict[str, object]:
    user = request.user
    couple = active_couple_for(user)
    if spec.kind == Kind.CARING and couple:
        return {"week": _caring_week(user, couple)}
    if spec.kind == Kind.VISION and couple:
        mine, theirs = vision_entries(couple=couple, user=user)
        return {"vision_status": {"mine": bool(mine), "theirs": bool(theirs)}}
    if spec.kind == Kind.TEMPERATURE:
        return {"calendar": _temperature_calendar(request)}
    return {}


@login_required
@require_GET
def kind_page(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _spec_or_404(kind)
    homework = partner_homework(viewer=request.user, kind=spec.kind)
    page, entries = _kind_entries(request, spec)
    query = request.GET.copy()
    query.pop("page", None)
    context = _context(
        request,
        spec=spec,
        page=page,
        query=query.urlencode(),
        entries=entries,
        action=reverse("exercises:entry_create", args=[spec.kind]),
        form_id="new-entry",
        inline=True,  # new entries are swapped into the list on this page
        my_homework=homework,
        **_forms(
            spec, user=request.user, homework=homework, homework_id=request.GET.get("homework")
        ),
        **_kind_extras(request, spec),
    )
    return render(request, "exercises/kind.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _spec_or_404(kind)
    forms = _forms(spec, request.POST or None, user=request.user)
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
            context["error"] = str(error)
        else:
            if not request.htmx:
                messages.success(request, f"Saved: {entry.title}")
                return redirect("exercises:kind", kind=spec.kind)
            entry = _get_entry_for_user(request, entry.pk)
            context.update(created=entry, **_forms(spec, user=request.user))
            return render(request, "exercises/entry_form.html#form", context)
    context.update(forms)
    template = "exercises/entry_form.html#form" if request.htmx else "exercises/entry_form.html"
    return render(request, template, context)


def _entry_response(
    request: HttpRequest, entry: Entry, *, error: str = "", notice: str = ""
) -> HttpResponse:
    """After an action on an entry: the refreshed card for HTMX, else back to its page."""
    if request.htmx:
        entry = _get_entry_for_user(request, entry.pk)
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
    entry = _get_entry_for_user(request, pk)
    template = "exercises/entry.html#entry" if request.htmx else "exercises/entry.html"
    return render(request, template, _context(request, entry=entry))


@login_required
@require_http_methods(["GET", "POST"])
def entry_update(request: HttpRequest, pk: object) -> HttpResponse:
    entry = _get_own_entry(request, pk)
    if not entry.can_edit:
        return _entry_response(
            request, entry, error="This entry can't be changed any more. You can still delete it."
        )
    spec = entry.spec
    forms = _forms(spec, request.POST or None, detail=entry.detail)
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
            context["error"] = str(error)
        else:
            return _entry_response(request, entry, notice="Saved.")
    template = "exercises/entry_form.html#form" if request.htmx else "exercises/entry_form.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def entry_delete(request: HttpRequest, pk: object) -> HttpResponse:
    entry = _get_own_entry(request, pk)
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
    entry = _get_own_entry(request, pk)
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        return _entry_response(request, entry, error="Choose who can see this entry.")
    try:
        entry = services.entry_set_visibility(
            entry=entry, by=request.user, visibility=form.cleaned_data["visibility"]
        )
    except ExerciseError as error:
        return _entry_response(request, entry, error=str(error))
    return _entry_response(request, entry, notice=f"Now: {entry.get_visibility_display()}.")


# --- Partner actions ---------------------------------------------------------------------------


@login_required
@require_POST
def appreciation_acknowledge(request: HttpRequest, pk: object) -> HttpResponse:
    entry = _get_entry_for_user(request, pk)
    try:
        services.appreciation_acknowledge(entry=entry, by=request.user)
    except ExerciseError as error:
        return _entry_response(request, entry, error=str(error))
    return _entry_response(request, entry, notice="You said thank you.")


@login_required
@require_POST
def request_choose_gift(request: HttpRequest, pk: object) -> HttpResponse:
    entry = _get_entry_for_user(request, pk)
    try:
        item = services.request_choose_gift(
            entry=entry, by=request.user, item_id=request.POST.get("item")
        )
    except ExerciseError as error:
        return _entry_response(request, entry, error=str(error))
    return _entry_response(
        request, entry, notice=f"Thank you. You're giving “{item.what}” until {item.ends_on:%d %b}."
    )


@login_required
@require_POST
def request_decline_all(request: HttpRequest, pk: object) -> HttpResponse:
    entry = _get_entry_for_user(request, pk)
    try:
        services.request_decline_all(entry=entry, by=request.user)
    except ExerciseError as error:
        return _entry_response(request, entry, error=str(error))
    return _entry_response(request, entry, notice="You've declined these requests for now.")


@login_required
@require_POST
def request_log_followthrough(request: HttpRequest, pk: object) -> HttpResponse:
    entry = _get_entry_for_user(request, pk)
    form = FollowThroughForm(request.POST)
    if not form.is_valid():
        error = " ".join(e for errors in form.errors.values() for e in errors)
        return _entry_response(request, entry, error=error)
    try:
        services.request_log_followthrough(entry=entry, by=request.user, **form.cleaned_data)
    except ExerciseError as error:
        return _entry_response(request, entry, error=str(error))
    return _entry_response(request, entry, notice="Logged.")


def _caring_item_entry(request: HttpRequest, item_pk: int) -> Entry:
    item = get_object_or_404(
        CaringItem.objects.filter(caring_list__entry__in=Entry.objects.visible_to(request.user)),
        pk=item_pk,
    )
    return _get_entry_for_user(request, item.caring_list_id)


@login_required
@require_POST
def caring_item_set_aside(request: HttpRequest, item_pk: int) -> HttpResponse:
    entry = _caring_item_entry(request, item_pk)
    aside = request.POST.get("aside") == "1"
    try:
        services.caring_item_set_aside(item_id=item_pk, by=request.user, aside=aside)
    except ExerciseError as error:
        return _entry_response(request, entry, error=str(error))
    notice = "Set aside for now." if aside else "Taken back up."
    return _entry_response(request, entry, notice=notice)


@login_required
@require_POST
def caring_gift_log(request: HttpRequest, item_pk: int) -> HttpResponse:
    entry = _caring_item_entry(request, item_pk)
    form = CaringGiftForm(request.POST)
    if not form.is_valid():
        return _entry_response(request, entry, error="Choose a day that isn't in the future.")
    try:
        services.caring_gift_log(
            item_id=item_pk, by=request.user, given_on=form.cleaned_data["given_on"]
        )
    except ExerciseError as error:
        return _entry_response(request, entry, error=str(error))
    return _entry_response(request, entry, notice="Logged — thank you for caring.")


def _caring_week(user: User, couple: Couple) -> dict[str, object]:
    """This week's caring gifts in the couple, day by day, for both partners."""
    start = week_start(timezone.localdate())
    days = [start + timedelta(days=n) for n in range(7)]
    gifts = (
        CaringGift.objects.filter(
            item__caring_list__entry__in=Entry.objects.visible_to(user).shared_in(couple),
            given_on__range=(days[0], days[-1]),
        )
        .select_related("item", "giver")
        .order_by("given_on", "id")
    )
    by_day: dict[date, dict[str, list[CaringGift]]] = {d: {"mine": [], "theirs": []} for d in days}
    for gift in gifts:
        by_day[gift.given_on]["mine" if gift.giver_id == user.pk else "theirs"].append(gift)
    return {
        "partner": couple.partner_of(user),
        "rows": [(day, by_day[day]["mine"], by_day[day]["theirs"]) for day in days],
    }


# --- Relationship vision: merge and the shared vision ------------------------------------------


def _couple_or_404(request: HttpRequest) -> Couple:
    couple = active_couple_for(request.user)
    if couple is None:
        raise Http404
    return couple


@login_required
@require_http_methods(["GET", "POST"])
def vision_merge(request: HttpRequest) -> HttpResponse:
    couple = _couple_or_404(request)
    mine, theirs = vision_entries(couple=couple, user=request.user)
    items = list(VisionItem.objects.filter(vision__entry__in=theirs).prefetch_related("responses"))
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
            context["error"] = str(error)
        else:
            messages.success(request, f"You accepted {accepted} of your partner's statements.")
            return redirect("exercises:vision_shared")
    return render(request, "exercises/vision_merge.html", context)


@login_required
@require_GET
def vision_shared(request: HttpRequest) -> HttpResponse:
    couple = _couple_or_404(request)
    items = shared_vision_items(couple=couple, user=request.user)
    return render(
        request,
        "exercises/vision_shared.html",
        _context(request, items=items, couple=couple, partner=couple.partner_of(request.user)),
    )


@login_required
@require_POST
def vision_rate_truth(request: HttpRequest, item_pk: int) -> HttpResponse:
    get_object_or_404(
        VisionItem.objects.filter(vision__entry__in=Entry.objects.visible_to(request.user)),
        pk=item_pk,
    )
    form = TruthForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Rate how true it is now from 1 to 5.")
        return redirect("exercises:vision_shared")
    try:
        services.vision_rate_truth(
            item_id=item_pk, by=request.user, truth=form.cleaned_data["truth"]
        )
    except ExerciseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Thank you — your rating is saved.")
    return redirect("exercises:vision_shared")


# --- Daily temperature reading: a calendar -----------------------------------------------------


def _temperature_calendar(request: HttpRequest) -> dict[str, object]:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        first = date(year, month, 1)
        if not FIRST_DAY <= first <= LAST_DAY:
            raise ValueError(first)
    except ValueError:
        first = today.replace(day=1)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    readings: dict[date, list[Entry]] = defaultdict(list)
    for entry in (
        Entry.objects.visible_to(request.user)
        .filter(
            kind=Kind.TEMPERATURE,
            temperature__reading_on__range=(weeks[0][0], weeks[-1][-1]),
        )
        .select_related("temperature", "author", "couple")
        .order_by("temperature__reading_on", "created_at")
    ):
        readings[entry.temperature.reading_on].append(entry)
    _record_therapist_looks(
        request,
        [entry for day in readings.values() for entry in day],
        f"Daily temperature readings: the calendar of {first:%B %Y}",
    )
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return {
        "month": first,
        "previous": f"{previous:%Y-%m}",
        "next": f"{following:%Y-%m}",
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "weeks": [
            [(day, day.month == first.month, day == today, readings.get(day, [])) for day in week]
            for week in weeks
        ],
    }


# --- History: everything the two partners share, newest first ----------------------------------


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    form = HistoryFilterForm(request.GET or None, label_suffix="")
    entries = (
        Entry.objects.visible_to(request.user)
        .filter(
            visibility__gte=Visibility.PARTNER,
            couple__in=member_couples(request.user).values("pk"),
        )
        .select_related("author")
        .order_by("-created_at")
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            entries = entries.filter(kind=data["kind"])
        if data["date_from"]:
            entries = entries.filter(created_at__gte=local_midnight(data["date_from"]))
        if data["date_to"]:
            entries = entries.filter(
                created_at__lt=local_midnight(data["date_to"] + timedelta(days=1))
            )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = _context(request, form=form, page=page, query=query.urlencode())
    template = "exercises/history.html#results" if request.htmx else "exercises/history.html"
    return render(request, template, context)


# --- Export of one's own entries ---------------------------------------------------------------


def _export_rows(user: User) -> list[dict[str, object]]:
    entries = _with_rows(list(_entries(user).filter(author=user).order_by("created_at")), user)
    return [entry_record(entry) for entry in entries]


def _export_filename(extension: str) -> str:
    return f"imago-exercises-{timezone.localdate():%Y-%m-%d}.{extension}"


@login_required
@require_GET
def export_json(request: HttpRequest) -> HttpResponse:
    payload = {
        "exported_at": timezone.now().isoformat(),
        "author": request.user.email,
        "entries": _export_rows(request.user),
    }
    response = HttpResponse(
        json.dumps(payload, indent=2, ensure_ascii=False), content_type="application/json"
    )
    filename = _export_filename("json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _flatten(value: object, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [part for key, item in value.items() for part in _flatten(item, f"{prefix}{key}.")]
    if isinstance(value, list):
        return [part for n, item in enumerate(value, 1) for part in _flatten(item, f"{prefix}{n}.")]
    if value in ("", None):
        return []
    return [f"{prefix[:-1]}: {value}"]


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = _export_filename("csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheet apps read the accents and dashes right
    writer = csv.writer(response)
    writer.writerow(
        ["id", "exercise", "visibility", "created_at", "updated_at", "title", "details"]
    )
    for row in _export_rows(request.user):
        extra = {key: row[key] for key in ("details", "items", "caretakers") if key in row}
        writer.writerow(
            [
                row["id"],
                row["exercise"],
                row["visibility"],
                row["created_at"],
                row["updated_at"],
                row["title"],
                "\n".join(_flatten(extra)),
            ]
        )
    return response
