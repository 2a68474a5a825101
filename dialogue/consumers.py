"""The live dialogue socket, `/ws/dialogue/<uuid>/`. Thin: it checks who connects, parses a
frame, validates it with the same form the HTTP view uses, and calls the same services — on the
dialogue's database threads (dialogue/live.py), sending what they committed from the event loop.
The protocol is documented in docs/protocol.md."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from channels.auth import get_user
from django.http import HttpRequest
from django.middleware.csrf import get_token

from couples.access import look_record
from couples.services import mfa_session_ok, session_tag, user_close_applies
from imago_site.errors import ImagoError
from imago_site.events import Event

from . import flow
from .access import dialogue_access
from .flood import FLOODED, FloodGuard
from .forms import MSG_ID_PATTERN, CoachingForm, TurnForm
from .fragments import (
    panel_key,
    progress_key,
    render_coaching,
    render_panel,
    render_progress,
    render_turn,
    render_window,
    viewer_role,
)
from .live import (
    DOWN,
    LAYER_DOWN,
    LAYER_TIMEOUT,
    SENT,
    SLOW,
    SLOW_ERRORS,
    LiveConsumer,
    db_read,
    db_run,
    watch,
)
from .services import TURNS_PAGE, coaching_submit, dialogue_state, dialogue_wait, turn_submit

MAX_FRAME_CHARS = 32_000  # a 4,000-character text in JSON, with room for escapes
# At most one typing hint per person every 2 s: each connection forwards at most that often,
# and each socket shows at most that many from one person, whatever their devices and servers.
TYPING_EVERY = 2.0
# Seconds a partner entering the room waits for the others present to say so before the absent
# partner is told they are waiting.
ALONE_AFTER = 3.0
MSG_ID = re.compile(MSG_ID_PATTERN)
# Refusals after which the client's picture is probably stale: send it the fresh state.
RESYNC_CODES = {"conflict", "not_your_turn", "wrong_step", "paused", "ended", "read_only", "held"}
# Which flood bucket (dialogue/flood.py) each kind of message draws on, beside the one for frames.
FLOOD_KIND = {"action": "action", "coach": "action", "sync": "sync", "typing": "typing"}


def _scalar_fields(message: dict[str, Any]) -> bool:
    """JSON can carry lists and objects where the form expects text; refuse them up front."""
    texts_ok = all(isinstance(message.get(key), str | None) for key in ("action", "text", "at"))
    last_seq = message.get("last_seq")
    return texts_ok and (last_seq is None or (type(last_seq) is int))


def _coach_fields(message: dict[str, Any]) -> bool:
    texts_ok = all(isinstance(message.get(key), str | None) for key in ("kind", "text"))
    seconds = message.get("seconds")
    return texts_ok and (seconds is None or type(seconds) is int)


def _since(value: object) -> int | None:
    """A client's last seen turn number (`?since=` or a sync's `since`); None if not one."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def _csrf_token(scope: dict[str, Any]) -> str:
    """A CSRF token for the forms of panels this socket renders, from the page's own cookie, so
    they post without JavaScript's help when the socket stays down."""
    request = HttpRequest()
    cookie = scope.get("cookies", {}).get("csrftoken", "")
    if len(cookie) != 32 or not cookie.isalnum():
        return ""
    request.META["CSRF_COOKIE"] = cookie
    return get_token(request)


def _connect_access(*, scope: dict[str, Any], pk: object) -> tuple[Any, flow.Role] | None:
    """Who is connecting, in one trip to a database thread: the session's user (Channels' own
    check, `channels.auth.get_user`, put in the scope as its AuthMiddleware would), then the
    dialogue and the role, or None (recording a therapist's look on the way)."""
    user = scope["user"] = get_user.func(scope)
    access = dialogue_access(user=user, pk=pk)
    session = scope.get("session")
    if access is None or not mfa_session_ok(user=user, session=session):
        return None
    dialogue, role = access
    if role == flow.Role.OBSERVER:
        look_record(
            viewer=user,
            couples=dialogue.couple,
            what=f"Watched the live dialogue: “{dialogue.topic}”",
        )
    return dialogue, role


class DialogueConsumer(LiveConsumer):
    async def connect(self) -> None:
        access = await db_read(
            _connect_access, scope=self.scope, pk=self.scope["url_route"]["kwargs"]["pk"]
        )
        self.user = self.scope["user"]
        if access is None:
            # The same refusal whether the dialogue is missing or someone else's (or the
            # session has not entered its second factor).
            await self.close()
            return
        dialogue, role = access
        self.dialogue_id = dialogue.pk
        self.group = dialogue.group_name
        self.observer = role == flow.Role.OBSERVER
        # An opaque id per connection, so presence counts a second device without exposing
        # channel names.
        self.conn = secrets.token_hex(8)
        self.person = {
            "id": self.user.pk,
            "name": self.user.display_name,
            "role": "observer" if self.observer else "partner",
        }
        self.present: dict[str, dict[str, Any]] = {self.conn: self.person}
        self.last_typing = -TYPING_EVERY
        self.typing_later: asyncio.Task[None] | None = None
        self.typing_shown: dict[int, float] = {}  # when a hint from each person was last shown
        self.panel_key: tuple[Any, ...] | None = None
        self.progress_key: tuple[str, bool] | None = None
        self.csrf_token = _csrf_token(self.scope)
        self.flood = FloodGuard(self.user.pk)
        self.closing = False
        session = self.scope.get("session")
        self.session_tag = session_tag(session.session_key if session else None)
        # The couple's group carries access changes made in `couples` (consent revoked,
        # couple ended) to every dialogue socket of the couple; the person's group carries the
        # end of their session or standing (couples.services.user_sockets_close).
        self.groups_joined = [self.group, dialogue.couple.group_name, self.user.group_name]
        joined = self.live and all(
            await asyncio.gather(
                *(
                    watch.call(self.channel_layer.group_add(group, self.channel_name), "join")
                    for group in self.groups_joined
                )
            )
        )
        await self.accept()
        if not joined:
            # Live updates are unavailable (Redis is down): say so; the page keeps what it has
            # and tries again with backoff, catching up from its last turn.
            self.groups_joined = []
            await self._close(LAYER_DOWN)
            return
        watch.watch(self, self.channel_layer)
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        await self._send_state(since=_since((query.get("since") or [None])[0]))
        await self._presence("join")
        if not self.observer and not dialogue.is_ended:
            self.waiting_later = asyncio.get_running_loop().create_task(self._tell_if_alone())

    async def disconnect(self, code: int) -> None:
        watch.forget(self)
        if getattr(self, "typing_later", None) is not None:
            self.typing_later.cancel()
        if getattr(self, "waiting_later", None) is not None:
            self.waiting_later.cancel()
        if hasattr(self, "flood"):
            self.flood.release()
        if getattr(self, "groups_joined", None) and watch.up:
            await self._presence("leave")
            await asyncio.gather(
                *(
                    watch.call(self.channel_layer.group_discard(group, self.channel_name), "leave")
                    for group in self.groups_joined
                )
            )

    async def layer_down(self) -> None:
        """The channel layer is down: this socket would miss events, so it closes (4503)."""
        await self._close(LAYER_DOWN)

    # --- From the client -----------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return  # frames already queued behind a close are not handled
        if not self.flood.allow("frame"):
            await self._too_fast()
            return
        if text_data is None:
            await self._error("bad_message", "Send JSON text frames, not binary.")
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self._error("too_large", "That message is too large to accept.")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self._error("bad_json", "That message was not valid JSON.")
            return
        except RecursionError:
            # The size bound above keeps this cheap: the parser gives up at Python's depth limit.
            await self._error("bad_json", "That message is nested too deeply.")
            return
        if not isinstance(message, dict):
            await self._error("bad_message", "A message must be a JSON object with a type.")
            return
        msg_id = message.get("msg_id")
        if not isinstance(msg_id, str) or not MSG_ID.match(msg_id):
            await self._error(
                "bad_msg_id", "Every message needs a client message id (1–64 letters/digits)."
            )
            return
        kind = message.get("type")
        if not isinstance(kind, str):
            kind = ""  # a list or an object as the type: unknown, like any other
        if kind in FLOOD_KIND and not self.flood.allow(FLOOD_KIND[kind]):
            await self._too_fast(in_reply_to=msg_id)
            return
        if kind == "action":
            await self._action(message, msg_id)
        elif kind == "typing":
            await self._typing()
        elif kind == "sync":
            if not await self._cut_off_if_no_longer_allowed():
                await self._send_state(in_reply_to=msg_id, since=_since(message.get("since")))
        elif kind == "coach":
            await self._coach(message, msg_id)
        else:
            await self._error("unknown_type", "Unknown message type.", in_reply_to=msg_id)

    async def _action(self, message: dict[str, Any], msg_id: str) -> None:
        if not _scalar_fields(message):
            await self._error(
                "bad_message",
                "action, text and at must be text, and last_seq a whole number.",
                in_reply_to=msg_id,
            )
            return
        form = TurnForm(message)
        try:
            if not form.is_valid():
                raise form.as_error()
            result, events = await db_run(
                turn_submit, dialogue_id=self.dialogue_id, user=self.user, **form.service_kwargs()
            )
        except ImagoError as error:
            await self._refuse(error, in_reply_to=msg_id)
            if error.code in RESYNC_CODES:
                await self._send_state(since=message.get("last_seq"))
            return
        if result.replayed:
            # The original result, to this client only: the partners saw it the first time.
            await self._send_turn(result.turn, result.dialogue, in_reply_to=msg_id, replay=True)
            return
        sent = await self._broadcast(events)
        if sent != SENT:
            # Saved, but the room could not be told: the author hears first that it was saved.
            # If the channel layer is down, every socket then pauses and catches up when live
            # updates are back; if it was only slow, the partners catch up at the next turn.
            await self._send_turn(result.turn, result.dialogue, in_reply_to=msg_id)
            if sent == DOWN:
                await watch.down("send")

    async def _coach(self, message: dict[str, Any], msg_id: str) -> None:
        """The watching therapist's prompt, time-out for both, or step timer."""
        if not _coach_fields(message):
            await self._error(
                "bad_message", "kind and text must be text, and seconds a whole number.",
                in_reply_to=msg_id,
            )  # fmt: skip
            return
        form = CoachingForm(
            {key: message.get(key) for key in ("kind", "msg_id", "text", "seconds")}
        )
        try:
            if not form.is_valid():
                raise form.as_error()
            result, events = await db_run(
                coaching_submit,
                dialogue_id=self.dialogue_id,
                user=self.user,
                **form.service_kwargs(),
            )
        except ImagoError as error:
            if error.code == "not_observer" and await self._cut_off_if_no_longer_allowed():
                return  # a therapist whose access just ended: closed, nothing more to say
            await self._refuse(error, in_reply_to=msg_id)
            return
        if result.replayed:
            await self._send_coaching(result.item, result.dialogue, in_reply_to=msg_id, replay=True)
            return
        sent = await self._broadcast(events)
        if sent != SENT:
            await self._send_coaching(result.item, result.dialogue, in_reply_to=msg_id)
            if sent == DOWN:
                await watch.down("send")

    async def _tell_if_alone(self) -> None:
        """A partner who enters the room and finds the other absent: once the others present had
        time to say so, the absent partner is told (dialogue_wait decides whether again)."""
        await asyncio.sleep(ALONE_AFTER)
        if any(
            person["role"] == "partner" and person["id"] != self.user.pk
            for person in self.present.values()
        ):
            return
        try:
            _told, events = await db_run(
                dialogue_wait, dialogue_id=self.dialogue_id, user=self.user
            )
        except ImagoError:
            return
        await self._broadcast(events)

    async def _broadcast(self, events: list[Event]) -> str:
        """Send what a service committed, from the event loop: SENT, SLOW (a send took longer
        than LAYER_TIMEOUT: a busy process is slow too, so that alone does not pause anyone)
        or DOWN (the channel layer refused)."""
        try:
            for group, event in events:
                await asyncio.wait_for(self.channel_layer.group_send(group, event), LAYER_TIMEOUT)
        except SLOW_ERRORS:
            return SLOW
        except Exception:
            return DOWN
        return SENT

    async def _typing(self) -> None:
        """Never stored, never a database call, and coalesced: the first hint is relayed at
        once, any more within TYPING_EVERY become one relayed when that time is up."""
        if self.observer or self.typing_later is not None:
            return
        wait = self.last_typing + TYPING_EVERY - time.monotonic()
        if wait <= 0:
            await self._relay_typing()
        else:
            self.typing_later = asyncio.get_running_loop().create_task(self._relay_typing(wait))

    async def _relay_typing(self, after: float = 0.0) -> None:
        if after:
            await asyncio.sleep(after)
        self.typing_later = None
        self.last_typing = time.monotonic()
        if self.closing:
            return
        await watch.call(
            self.channel_layer.group_send(
                self.group, {"type": "dialogue.typing", "conn": self.conn, "person": self.person}
            ),
            "typing",
        )

    # --- From the group ------------------------------------------------------------------------

    async def access_changed(self, event: dict[str, Any]) -> None:
        """Consent revoked, couple ended, invitation withdrawn: a therapist who may no longer
        watch leaves at once."""
        await self._cut_off_if_no_longer_allowed()

    async def dialogue_turn(self, event: dict[str, Any]) -> None:
        if await self._cut_off_if_no_longer_allowed():
            return
        author = event["turn"]["author"]["id"]
        mine = author == self.user.pk
        self.typing_shown.pop(author, None)  # the page clears the hint with the turn
        await self._send_turn(
            event["turn"], event["dialogue"], in_reply_to=event["msg_id"] if mine else None
        )

    async def dialogue_coaching(self, event: dict[str, Any]) -> None:
        if await self._cut_off_if_no_longer_allowed():
            return
        mine = event["item"]["author"]["id"] == self.user.pk
        await self._send_coaching(
            event["item"], event["dialogue"], in_reply_to=event["msg_id"] if mine else None
        )

    async def dialogue_presence(self, event: dict[str, Any]) -> None:
        conn = event["conn"]
        if event["status"] == "leave":
            self.present.pop(conn, None)
        else:
            self.present[conn] = event["person"]
            if event["status"] == "join" and conn != self.conn:
                # Tell the newcomer alone that we are here too: the others know already, and a
                # reply to the whole group would make every join cost a broadcast per socket.
                await self._presence("here", to=event.get("channel"))
        people = {person["id"]: person for person in self.present.values()}
        await self._send({"type": "presence", "present": list(people.values())})

    async def dialogue_typing(self, event: dict[str, Any]) -> None:
        person = event["person"]["id"]
        now = time.monotonic()
        # Each connection relays at most one hint per TYPING_EVERY; a person typing on two
        # devices is still shown once per TYPING_EVERY (less a margin for network jitter).
        shown = self.typing_shown.get(person)
        if person == self.user.pk or (shown is not None and now - shown < TYPING_EVERY - 0.5):
            return
        self.typing_shown[person] = now
        await self._send({"type": "typing", "user": event["person"]})

    async def user_close(self, event: dict[str, Any]) -> None:
        """This person's session or standing ended (couples.services.user_sockets_close)."""
        if user_close_applies(event, self.session_tag):
            await self._close(event["code"])

    async def notify_changed(self, event: dict[str, Any]) -> None:
        """For the notifications socket (`/ws/me/`), which shares the person's group."""

    async def _cut_off_if_no_longer_allowed(self) -> bool:
        """Partners keep their access; an observer's is checked again, and a socket whose
        access has ended is closed with 4403. True if it was closed."""
        if not self.observer:
            return False
        access = await db_read(dialogue_access, user=self.user, pk=self.dialogue_id)
        if access is None:
            await self._close(4403)
            return True
        return False

    # --- To the client -------------------------------------------------------------------------

    def _role(self, snapshot: dict[str, Any]) -> flow.Role:
        return viewer_role(snapshot, self.user.pk, observer=self.observer)

    def _you(self, role: flow.Role) -> dict[str, Any]:
        return {"id": self.user.pk, "name": self.user.display_name, "role": role.value}

    def _changes(self, snapshot: dict[str, Any], role: flow.Role, *, acted: bool) -> dict[str, str]:
        """The panel and the step progress, each only if it changed for this viewer (the
        panel also when the viewer just acted: their box starts afresh)."""
        html: dict[str, str] = {}
        key = panel_key(snapshot, role)
        if acted or key != self.panel_key:
            self.panel_key = key
            html["panel"] = render_panel(snapshot, role, self.csrf_token)
        key = progress_key(snapshot)
        if key != self.progress_key:
            self.progress_key = key
            html["progress"] = render_progress(snapshot)
        return html

    async def _send_state(self, in_reply_to: str | None = None, since: object = None) -> None:
        """The state, with the turns this client is missing after `since` (or the latest page
        of them), the panel and the step progress."""
        state = await db_read(
            dialogue_state,
            dialogue_id=self.dialogue_id,
            since=since if type(since) is int else None,
            limit=TURNS_PAGE,
        )
        snapshot = state["dialogue"]
        role = self._role(snapshot)
        self.panel_key = self.progress_key = None
        await self._send(
            {
                "type": "state",
                "dialogue": snapshot,
                "turns": state["turns"],
                "coaching": state["coaching"],
                "since": state["since"],
                "earlier": state["earlier"],
                "you": self._you(role),
                "in_reply_to": in_reply_to,
                "html": {
                    **render_window(state, role, self.user.pk),
                    **self._changes(snapshot, role, acted=True),
                },
            }
        )

    async def _send_turn(
        self,
        turn: dict[str, Any],
        snapshot: dict[str, Any],
        *,
        in_reply_to: str | None,
        replay: bool = False,
    ) -> None:
        role = self._role(snapshot)
        await self._send(
            {
                "type": "turn",
                "turn": turn,
                "dialogue": snapshot,
                "you": self._you(role),
                "in_reply_to": in_reply_to,
                "replay": replay,
                "html": {
                    "turn": render_turn(turn, snapshot, self.user.pk),
                    **self._changes(snapshot, role, acted=in_reply_to is not None),
                },
            }
        )

    async def _send_coaching(
        self,
        item: dict[str, Any],
        snapshot: dict[str, Any],
        *,
        in_reply_to: str | None,
        replay: bool = False,
    ) -> None:
        role = self._role(snapshot)
        await self._send(
            {
                "type": "coaching",
                "item": item,
                "dialogue": snapshot,
                "you": self._you(role),
                "in_reply_to": in_reply_to,
                "replay": replay,
                "html": {
                    "item": render_coaching(item, role),
                    **self._changes(snapshot, role, acted=in_reply_to is not None),
                },
            }
        )

    async def _error(self, code: str, message: str, *, in_reply_to: str | None = None) -> None:
        await self._refuse(ImagoError(code, message), in_reply_to=in_reply_to)

    async def _refuse(self, error: ImagoError, *, in_reply_to: str | None = None) -> None:
        await self._send(error.frame(in_reply_to=in_reply_to))

    async def _too_fast(self, *, in_reply_to: str | None = None) -> None:
        """A frame over the flood limits was dropped: say so once per run, close if it goes on."""
        if self.flood.out:
            await self._close(FLOODED)
        elif self.flood.first_strike:
            await self._error(
                "too_fast",
                "Too many messages at once: that one was dropped. Slow down, or the "
                "connection will be closed.",
                in_reply_to=in_reply_to,
            )

    async def _close(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            await self.close(code=code)

    async def _presence(self, status: str, *, to: str | None = None) -> None:
        """Say who this socket is to the room's group, or to one socket (`to`, its channel)."""
        event = {"type": "dialogue.presence", "conn": self.conn, "person": self.person,
                 "status": status}  # fmt: skip
        if status == "join":
            event["channel"] = self.channel_name  # where the others answer "here"
        layer = self.channel_layer
        send = layer.send(to, event) if to else layer.group_send(self.group, event)
        await watch.call(send, "presence")

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame))
