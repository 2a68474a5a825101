"""The live dialogue socket, `/ws/dialogue/<uuid>/`. Thin: it checks who connects, parses a
frame, validates it with the same form the HTTP view uses, and calls the same services. The
protocol is documented in docs/protocol.md."""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from couples.access import look_record
from couples.services import mfa_session_ok, session_tag, user_close_applies
from imago_site.errors import ImagoError

from . import flow
from .access import dialogue_access
from .flood import FLOODED, FloodGuard
from .forms import MSG_ID_PATTERN, CoachingForm, TurnForm
from .fragments import render_coaching, render_live, viewer_role
from .services import coaching_submit, dialogue_state, turn_submit

MAX_FRAME_CHARS = 32_000  # a 4,000-character text in JSON, with room for escapes
TYPING_MIN_INTERVAL = 1.0  # seconds between two typing hints forwarded for one connection
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


class DialogueConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope["user"]
        access = await database_sync_to_async(dialogue_access)(
            user=self.user, pk=self.scope["url_route"]["kwargs"]["pk"]
        )
        if access is None or not await database_sync_to_async(mfa_session_ok)(
            user=self.user, session=self.scope.get("session")
        ):
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
        self.last_typing = 0.0
        self.flood = FloodGuard(self.user.pk)
        self.closing = False
        session = self.scope.get("session")
        self.session_tag = session_tag(session.session_key if session else None)
        if self.observer:
            await database_sync_to_async(look_record)(
                viewer=self.user,
                couples=dialogue.couple,
                what=f"Watched the live dialogue: “{dialogue.topic}”",
            )
        # The couple's group carries access changes made in `couples` (consent revoked,
        # couple ended) to every dialogue socket of the couple.
        self.couple_group = dialogue.couple.group_name
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.couple_group, self.channel_name)
        # The person's group carries the end of their session or standing (couples.services.
        # user_sockets_close): logout, a new password, leaving the couple.
        await self.channel_layer.group_add(self.user.group_name, self.channel_name)
        await self.accept()
        await self._send_state()
        await self._presence("join")

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self._presence("leave")
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(self.couple_group, self.channel_name)
            await self.channel_layer.group_discard(self.user.group_name, self.channel_name)
            self.flood.release()

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
                await self._send_state(in_reply_to=msg_id)
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
            result = await database_sync_to_async(turn_submit)(
                dialogue_id=self.dialogue_id, user=self.user, **form.service_kwargs()
            )
        except ImagoError as error:
            await self._refuse(error, in_reply_to=msg_id)
            if error.code in RESYNC_CODES:
                await self._send_state()
            return
        if result.replayed:
            # The original result, to this client only: the partners saw it the first time.
            await self._send_turn(result.turn, result.dialogue, in_reply_to=msg_id, replay=True)

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
            result = await database_sync_to_async(coaching_submit)(
                dialogue_id=self.dialogue_id, user=self.user, **form.service_kwargs()
            )
        except ImagoError as error:
            if error.code == "not_observer" and await self._cut_off_if_no_longer_allowed():
                return  # a therapist whose access just ended: closed, nothing more to say
            await self._refuse(error, in_reply_to=msg_id)
            return
        if result.replayed:
            await self._send_coaching(result.item, result.dialogue, in_reply_to=msg_id, replay=True)

    async def _typing(self) -> None:
        now = time.monotonic()
        if self.observer or now - self.last_typing < TYPING_MIN_INTERVAL:
            return
        self.last_typing = now
        await self.channel_layer.group_send(
            self.group, {"type": "dialogue.typing", "conn": self.conn, "person": self.person}
        )

    # --- From the group ------------------------------------------------------------------------

    async def access_changed(self, event: dict[str, Any]) -> None:
        """Consent revoked, couple ended, invitation withdrawn: a therapist who may no longer
        watch leaves at once."""
        await self._cut_off_if_no_longer_allowed()

    async def dialogue_turn(self, event: dict[str, Any]) -> None:
        if await self._cut_off_if_no_longer_allowed():
            return
        mine = event["turn"]["author"]["id"] == self.user.pk
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
                await self._presence("here")  # tell the newcomer we are here too
        people = {person["id"]: person for person in self.present.values()}
        await self._send({"type": "presence", "present": list(people.values())})

    async def dialogue_typing(self, event: dict[str, Any]) -> None:
        if event["person"]["id"] != self.user.pk:
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
        access = await database_sync_to_async(dialogue_access)(user=self.user, pk=self.dialogue_id)
        if access is None:
            await self._close(4403)
            return True
        return False

    # --- To the client -------------------------------------------------------------------------

    def _you(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        role = viewer_role(snapshot, self.user.pk, observer=self.observer)
        return {"id": self.user.pk, "name": self.user.display_name, "role": role.value}

    async def _send_state(self, in_reply_to: str | None = None) -> None:
        state = await database_sync_to_async(dialogue_state)(dialogue_id=self.dialogue_id)
        snapshot, turns, coaching = state["dialogue"], state["turns"], state["coaching"]
        you = self._you(snapshot)
        role = flow.Role(you["role"])
        await self._send(
            {
                "type": "state",
                "dialogue": snapshot,
                "turns": turns,
                "coaching": coaching,
                "you": you,
                "in_reply_to": in_reply_to,
                "html": render_live(snapshot, role, self.user.pk, turns, coaching),
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
        you = self._you(snapshot)
        html = render_live(snapshot, flow.Role(you["role"]), self.user.pk, [turn])
        await self._send(
            {
                "type": "turn",
                "turn": turn,
                "dialogue": snapshot,
                "you": you,
                "in_reply_to": in_reply_to,
                "replay": replay,
                "html": {
                    "turn": html["turns"][0],
                    "panel": html["panel"],
                    "progress": html["progress"],
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
        you = self._you(snapshot)
        role = flow.Role(you["role"])
        html = render_live(snapshot, role, self.user.pk, [])
        await self._send(
            {
                "type": "coaching",
                "item": item,
                "dialogue": snapshot,
                "you": you,
                "in_reply_to": in_reply_to,
                "replay": replay,
                "html": {
                    "item": render_coaching(item, role),
                    "panel": html["panel"],
                    "progress": html["progress"],
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

    async def _presence(self, status: str) -> None:
        await self.channel_layer.group_send(
            self.group,
            {
                "type": "dialogue.presence",
                "conn": self.conn,
                "person": self.person,
                "status": status,
            },
        )

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame))
