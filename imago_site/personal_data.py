"""A person's own data, across every app: "export everything of mine" as one archive, and
"delete my account". It lives at the project level because it reads all three apps; each app's
own access rules still decide what is whose."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from couples.access import active_couple_for, member_couples
from couples.models import (
    Couple,
    Invitation,
    Membership,
    SecurityEvent,
    TherapistLink,
    TherapistView,
    User,
)
from couples.services import (
    account_sessions_end,
    couple_leave,
    security_event_record,
)
from dialogue.access import dialogues_visible
from dialogue.models import Dialogue, Turn
from exercises.exports import export_rows as entry_export_rows
from exercises.models import Entry, Visibility
from exercises.registry import KINDS
from imago_site.events import send_event_on_commit

# The columns of entries.csv; the rest of an entry (details, and a list's rows) goes in the last.
ENTRY_COLUMNS = {"id", "exercise", "kind", "visibility", "created_at", "updated_at", "title"}
LEFT_OUT = "(left out: your partner has not allowed their turns in your export)"


def _iso(value: object) -> str | None:
    return value.isoformat() if value else None


def _dialogues(user: User) -> list[dict[str, Any]]:
    """Every dialogue of my couples. My turns in full; my partner's in full only if they allow
    it on their account page, otherwise marked as left out (when and what kind of move stay)."""
    dialogues = dialogues_visible(user).filter(couple__in=member_couples(user).values("pk"))
    turns = Turn.objects.filter(dialogue__in=dialogues).select_related("author").order_by("seq")
    by_dialogue: dict[object, list[Turn]] = {}
    for turn in turns:
        by_dialogue.setdefault(turn.dialogue_id, []).append(turn)
    rows = []
    for dialogue in dialogues.order_by("created_at"):
        rows.append(
            {
                "id": str(dialogue.pk),
                "topic": dialogue.topic,
                "started": _iso(dialogue.created_at),
                "ended": _iso(dialogue.ended_at),
                "turns": [_turn(turn, user) for turn in by_dialogue.get(dialogue.pk, [])],
            }
        )
    return rows


def _turn(turn: Turn, user: User) -> dict[str, Any]:
    mine = turn.author_id == user.pk
    shared = mine or turn.author.turns_in_partner_export
    return {
        "seq": turn.seq,
        "round": turn.round,
        "by": "me" if mine else "my partner",
        "role": turn.role,
        "step": turn.step,
        "action": turn.action,
        "text": turn.text if shared else LEFT_OUT,
        "left_out": not shared,
        "time": _iso(turn.at) if shared else None,
        "at": _iso(turn.created_at),
    }


def _invitations(user: User) -> list[dict[str, Any]]:
    return [
        {
            "created": _iso(invitation.created_at),
            "expires": _iso(invitation.expires_at),
            "status": invitation.get_status_display(),
            "accepted": _iso(invitation.accepted_at),
            "revoked": _iso(invitation.revoked_at),
        }
        for invitation in Invitation.objects.filter(inviter=user).order_by("created_at")
    ]


def _consents(user: User) -> list[dict[str, Any]]:
    links = (
        TherapistLink.objects.filter(couple__in=member_couples(user).values("pk"))
        .select_related("therapist", "revoked_by")
        .prefetch_related("consents")
        .order_by("created_at")
    )
    return [
        {
            "therapist": link.therapist.display_name,
            "linked": _iso(link.created_at),
            "my_consent_given": _iso(
                next((c.given_at for c in link.consents.all() if c.partner_id == user.pk), None)
            ),
            "revoked": _iso(link.revoked_at),
            "revoked_by": (
                "me"
                if link.revoked_by_id == user.pk
                else "my partner"
                if link.revoked_by_id
                else None
            ),
        }
        for link in links
    ]


def _audit(user: User) -> list[dict[str, Any]]:
    views = (
        TherapistView.objects.filter(couple__in=member_couples(user).values("pk"))
        .select_related("therapist")
        .order_by("at")
    )
    return [
        {"at": _iso(view.at), "therapist": view.therapist.display_name, "what": view.what}
        for view in views
    ]


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # spreadsheet apps then read accents and dashes right
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def personal_data_export(*, user: User, ip_coarse: str = "") -> bytes:
    """Everything of `user`'s as one zip: JSON for programs, CSV for spreadsheets."""
    entries = entry_export_rows(user)
    dialogues = _dialogues(user)
    audit = _audit(user)
    data = {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "name": user.display_name,
            "role": user.role,
            "joined": _iso(user.date_joined),
            "my_turns_in_partner_export": user.turns_in_partner_export,
        },
        "entries": entries,
        "dialogues": dialogues,
        "invitations": _invitations(user),
        "therapist_consents": _consents(user),
        "therapist_looks": audit,
        "security_events": [
            {"at": _iso(event.at), "what": event.get_kind_display(), "network": event.ip_coarse}
            for event in SecurityEvent.objects.filter(user=user).order_by("at")
        ],
    }
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("imago.json", json.dumps(data, indent=2, ensure_ascii=False))
        zipped.writestr(
            "entries.csv",
            _csv(
                ["id", "exercise", "visibility", "created_at", "title", "details"],
                [
                    [e["id"], e["exercise"], e["visibility"], e["created_at"], e["title"],
                     json.dumps({k: v for k, v in e.items() if k not in ENTRY_COLUMNS},
                                ensure_ascii=False)]
                    for e in entries
                ],
            ),
        )  # fmt: skip
        zipped.writestr(
            "dialogue_turns.csv",
            _csv(
                ["dialogue", "topic", "seq", "by", "step", "action", "text", "left_out", "at"],
                [
                    [d["id"], d["topic"], t["seq"], t["by"], t["step"], t["action"], t["text"],
                     t["left_out"], t["at"]]
                    for d in dialogues
                    for t in d["turns"]
                ],
            ),
        )  # fmt: skip
        zipped.writestr(
            "therapist_looks.csv",
            _csv(
                ["at", "therapist", "what"], [[v["at"], v["therapist"], v["what"]] for v in audit]
            ),
        )
    security_event_record(kind=SecurityEvent.Kind.EXPORT, user=user, ip_coarse=ip_coarse)
    return archive.getvalue()


# --- Deleting an account -------------------------------------------------------------------

REMOVED_TURN = "(removed: its author closed their account)"


def _notify_partner(partner: User, name: str) -> None:
    send_mail(
        "Your partner closed their Imago account",
        render_to_string(
            "registration/account_closed_partner_email.txt", {"partner": partner, "name": name}
        ),
        settings.DEFAULT_FROM_EMAIL,
        [partner.email],
    )


def account_delete(*, user: User, keep_shared: bool) -> None:
    """Delete `user` and every piece of personal data of theirs. Private entries go at once.
    What they shared with their partner (shared entries, their dialogue turns, gifts and
    answers on the partner's entries) stays for the partner when `keep_shared`, detached from
    them (its author becomes an anonymous "former partner" row); otherwise it goes too, and
    their turns in shared dialogues keep only their place. The couple ends, therapist links
    end, the partner is told, sessions and sockets close."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        email, name = user.email, user.display_name
        couples = list(member_couples(user).prefetch_related("partners"))
        active = active_couple_for(user)
        partner = active.partner_of(user) if active else None
        if active is not None:
            couple_leave(couple=active, user=user)

        former = User.objects.create_user(
            f"closed-{uuid.uuid4().hex}@closed.invalid",
            None,
            display_name="Former therapist" if user.is_therapist else "Former partner",
            role=user.role,
            is_active=False,
        )
        now = timezone.now()
        couple_ids = [couple.pk for couple in couples]
        for couple in couples:
            send_event_on_commit(couple.group_name, {"type": "access.changed"})
        TherapistLink.objects.filter(couple__in=couple_ids, revoked_at__isnull=True).update(
            revoked_at=now
        )
        # As a therapist: links end; the partners' record of looks stays, naming no one.
        for link in TherapistLink.objects.filter(therapist=user):
            send_event_on_commit(link.couple.group_name, {"type": "access.changed"})
        TherapistLink.objects.filter(therapist=user, revoked_at__isnull=True).update(revoked_at=now)
        TherapistLink.objects.filter(therapist=user).update(therapist=former)
        TherapistView.objects.filter(therapist=user).update(therapist=former)
        for model, field in ((TherapistLink, "revoked_by"), (Couple, "ended_by")):
            model.objects.filter(**{field: user}).update(**{field: former})

        # Exercises: private entries go now; shared ones stay for the partner or go.
        mine = Entry.objects.filter(author=user)
        mine.filter(Q(visibility=Visibility.PRIVATE) | Q(couple__isnull=True)).delete()
        # What they wrote on their partner's entries, as each kind declares it.
        on_partner_entries = [row for spec in KINDS.values() for row in spec.actor_rows]
        if keep_shared:
            mine.update(author=former)
            for model, field in on_partner_entries:
                model.objects.filter(**{field: user}).update(**{field: former})
        else:
            mine.delete()
            for model, field in on_partner_entries:
                model.objects.filter(**{field: user}).delete()

        # Dialogues are the couple's: the partner's turns always stay.
        for field in ("sender", "receiver", "started_by"):
            Dialogue.objects.filter(**{field: user}).update(**{field: former})
        turns = Turn.objects.filter(author=user)
        if keep_shared:
            turns.update(author=former)
        else:
            turns.update(author=former, text=REMOVED_TURN, at=None)
        Membership.objects.filter(user=user).update(user=former, active=False)

        # Records about the person: the security log keeps the event, not who it was.
        SecurityEvent.objects.filter(Q(user=user) | Q(email__iexact=email)).update(
            user=None, email="", detail=""
        )
        AccessAttempt.objects.filter(username__iexact=email).delete()
        AccessLog.objects.filter(username__iexact=email).delete()
        AccessFailureLog.objects.filter(username__iexact=email).delete()
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
        ).delete()
        account_sessions_end(user=user)  # also closes every open socket of theirs
        Session.objects.filter(session_key__in=_session_keys_of(user)).delete()
        user.delete()
        security_event_record(
            kind=SecurityEvent.Kind.ACCOUNT_DELETED,
            detail="shared data kept for the partner" if keep_shared else "everything deleted",
        )
        if partner is not None:
            transaction.on_commit(lambda: _notify_partner(partner, name))


def _session_keys_of(user: User) -> list[str]:
    """Sessions never seen by the session list (opened before it existed) still hold the
    user's id: find them by decoding, so none survives the account."""
    keys = []
    for session in Session.objects.all().iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            keys.append(session.session_key)
    return keys
