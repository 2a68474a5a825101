"""The dialogue's hot statements, as plain SQL.

Building them with the ORM cost more CPU than anything else a daphne process does for a turn or a
handshake (profiled: docs/performance.md, "CPU per action"). Their SQL is written once per process
from the models' own metadata, and their values go through the same field conversions the ORM
uses; everything else, a turn's replay included, stays with the ORM."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection, models

from couples.models import Couple, User

from .models import Dialogue, Turn

# What taking a turn changes on the dialogue row: one UPDATE of these.
TURN_FIELDS = ["last_seq", "step", "paused", "paused_until", "updated_at", "sender", "receiver",
               "round", "ended_at", "held_by", "held_at"]  # fmt: skip
_PEOPLE = ("id", "email", "display_name")  # what a turn needs of each partner (`_person`)


@dataclass(frozen=True)
class _Statements:
    read: str
    lock: str
    resend: str
    insert: str
    insert_returns: bool
    update: str
    write: str  # the INSERT and the UPDATE as one statement, where the database allows it
    # Per selected column of `lock`: the converters the ORM would apply, if any.
    converters: tuple[tuple[int, list[Any], Any], ...]


def _dialogue_fields() -> list[models.Field[Any, Any]]:
    return list(Dialogue._meta.concrete_fields)


def _people_fields() -> list[models.Field[Any, Any]]:
    return [User._meta.get_field(name) for name in _PEOPLE]


def _turn_fields() -> list[models.Field[Any, Any]]:
    return [field for field in Turn._meta.concrete_fields if not field.primary_key]


@functools.cache
def _statements(vendor: str) -> _Statements:
    qn = connection.ops.quote_name
    dialogue, couple = Dialogue._meta, Couple._meta
    people = _people_fields()
    ended = couple.get_field("ended_at")
    selected = [
        *((f"d.{qn(field.column)}", field) for field in _dialogue_fields()),
        (f"c.{qn(ended.column)}", ended),
        *((f"s.{qn(field.column)}", field) for field in people),
        *((f"r.{qn(field.column)}", field) for field in people),
    ]
    user_table, user_pk = qn(User._meta.db_table), qn(User._meta.pk.column)
    read = (
        f"SELECT {', '.join(column for column, _ in selected)} FROM {qn(dialogue.db_table)} d "
        f"INNER JOIN {qn(couple.db_table)} c "
        f"ON c.{qn(couple.pk.column)} = d.{qn(dialogue.get_field('couple').column)} "
        f"INNER JOIN {user_table} s ON s.{user_pk} = d.{qn(dialogue.get_field('sender').column)} "
        f"INNER JOIN {user_table} r "
        f"ON r.{user_pk} = d.{qn(dialogue.get_field('receiver').column)} "
        f"WHERE d.{qn(dialogue.pk.column)} = %s"
    )
    # The dialogue row only, not the couple and people joined to it (SQLite locks the whole
    # database at BEGIN IMMEDIATE instead).
    lock = read
    if connection.features.has_select_for_update_of:
        lock += " FOR UPDATE OF d"
    elif connection.features.has_select_for_update:
        lock += " FOR UPDATE"
    turn = Turn._meta
    resend = (
        f"SELECT {qn(turn.get_field('seq').column)} FROM {qn(turn.db_table)} WHERE "
        f"{qn(turn.get_field('dialogue').column)} = %s AND "
        f"{qn(turn.get_field('author').column)} = %s AND "
        f"{qn(turn.get_field('client_msg_id').column)} = %s LIMIT 1"
    )
    columns = [qn(field.column) for field in _turn_fields()]
    returns = connection.features.can_return_columns_from_insert
    insert = (
        f"INSERT INTO {qn(turn.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
        + (f" RETURNING {qn(turn.pk.column)}" if returns else "")
    )
    update = (
        f"UPDATE {qn(dialogue.db_table)} SET "
        + ", ".join(f"{qn(dialogue.get_field(name).column)} = %s" for name in TURN_FIELDS)
        + f" WHERE {qn(dialogue.pk.column)} = %s"
    )
    # PostgreSQL runs a data-modifying WITH clause once, whatever the main statement finds, and
    # the UPDATE's RETURNING hands back the new turn's id: one round trip instead of two.
    write = (
        f"WITH t AS ({insert}) {update} RETURNING (SELECT {qn(turn.pk.column)} FROM t)"
        if connection.vendor == "postgresql" and returns
        else ""
    )
    converters = []
    for index, (_column, field) in enumerate(selected):
        expression = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        if found:
            converters.append((index, found, expression))
    return _Statements(read, lock, resend, insert, returns, update, write, tuple(converters))


def dialogue_row(dialogue_id: object, *, lock: bool) -> Dialogue:
    """The dialogue row, locked or not, with its couple's end and both partners' names: one
    SELECT."""
    sql = _statements(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(
            sql.lock if lock else sql.read,
            [Dialogue._meta.pk.get_db_prep_value(dialogue_id, connection)],
        )
        row = cursor.fetchone()
    if row is None:
        raise Dialogue.DoesNotExist("Dialogue matching query does not exist.")
    values = list(row)
    for index, converters, expression in sql.converters:
        for converter in converters:
            values[index] = converter(values[index], expression, connection)
    fields = _dialogue_fields()
    db = connection.alias
    dialogue = Dialogue.from_db(db, [field.attname for field in fields], values[: len(fields)])
    ended_at, rest = values[len(fields)], values[len(fields) + 1 :]
    names = list(_PEOPLE)
    # Partial instances: a field not loaded here is fetched on first use, as a deferred one is.
    couple = Couple.from_db(
        db, [Couple._meta.pk.attname, "ended_at"], [dialogue.couple_id, ended_at]
    )
    sender = User.from_db(db, names, rest[: len(names)])
    receiver = User.from_db(db, names, rest[len(names) :])
    cache = dialogue._state.fields_cache
    cache["couple"], cache["sender"], cache["receiver"] = couple, sender, receiver
    return dialogue


def sent_before(dialogue: Dialogue, user: User, client_msg_id: str) -> int | None:
    """The number of the turn this person already sent with this message id, if any."""
    with connection.cursor() as cursor:
        cursor.execute(
            _statements(connection.vendor).resend,
            [
                Dialogue._meta.pk.get_db_prep_value(dialogue.pk, connection),
                User._meta.pk.get_db_prep_value(user.pk, connection),
                client_msg_id,
            ],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def turn_write(turn: Turn, dialogue: Dialogue) -> None:
    """Store a new turn and its dialogue's new state (`dialogue.save(update_fields=TURN_FIELDS)`):
    on PostgreSQL in one statement, the INSERT in a WITH clause of the UPDATE; elsewhere as the
    two. Either way both happen or neither does (the caller's transaction)."""
    sql = _statements(connection.vendor)
    turn_values = [field.get_db_prep_save(field.pre_save(turn, True), connection) for field in
                   _turn_fields()]  # fmt: skip
    fields = [Dialogue._meta.get_field(name) for name in TURN_FIELDS]
    dialogue_values = [field.get_db_prep_save(field.pre_save(dialogue, False), connection) for
                       field in fields]  # fmt: skip
    dialogue_values.append(Dialogue._meta.pk.get_db_prep_value(dialogue.pk, connection))
    with connection.cursor() as cursor:
        if sql.write:
            cursor.execute(sql.write, turn_values + dialogue_values)
            turn.pk = cursor.fetchone()[0]
        else:
            cursor.execute(sql.insert, turn_values)
            turn.pk = cursor.fetchone()[0] if sql.insert_returns else cursor.lastrowid
            cursor.execute(sql.update, dialogue_values)
    turn._state.adding = False
    turn._state.db = connection.alias
