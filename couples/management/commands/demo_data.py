from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from couples.access import active_couple_for
from couples.models import User
from couples.services import invitation_accept, invitation_create

DEMO_PASSWORD = "imago-demo-2026"
DEMO_PEOPLE = [
    ("alice@example.com", "Alice", User.Role.PARTNER, ""),
    ("bob@example.com", "Bob", User.Role.PARTNER, ""),
    ("carol@example.com", "Carol", User.Role.THERAPIST, "Certified Imago therapist"),
]


class Command(BaseCommand):
    help = "Create demo accounts (local mode only): Alice and Bob paired, Carol their therapist."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts exist only in local mode (IMAGO_DEBUG=1).")
        with transaction.atomic():
            people = {}
            for email, name, role, title in DEMO_PEOPLE:
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(
                        email, DEMO_PASSWORD, display_name=name, role=role, professional_title=title
                    )
                people[name] = user
            if not active_couple_for(people["Alice"]) and not active_couple_for(people["Bob"]):
                invitation = invitation_create(inviter=people["Alice"])
                invitation_accept(user=people["Bob"], token=invitation.token)
        self.stdout.write(self.style.SUCCESS("Demo accounts (local mode only):"))
        for email, name, role, _title in DEMO_PEOPLE:
            self.stdout.write(f"  {name:<6} {role:<9}  {email:<20} password: {DEMO_PASSWORD}")
        # `make run` passes the address daphne will serve on.
        host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
        self.stdout.write(
            f"  Alice and Bob are a couple. Open http://{host}:{port} in two browsers."
        )
