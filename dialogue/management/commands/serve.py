"""Serve Imago with N daphne processes on one listening port (docs/deploy.md).

One daphne process is one core (the GIL). This command opens the listening socket once and
hands it to N `daphne --fd` children, so the kernel spreads connections over them; partners on
different processes meet through the Redis channel layer and the shared PostgreSQL database, so
run it with DATABASE_URL and REDIS_URL set. It stops every child on SIGINT/SIGTERM, and stops
them all (exit 1) if one dies, so a supervisor (systemd, a container runtime) restarts the
whole."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run N daphne processes sharing one listening socket."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
        parser.add_argument("--bind", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--proxy-headers", action="store_true", help="behind a proxy")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="don't start the task worker here (it runs on another machine)",
        )

    def handle(self, *args: Any, processes: int, bind: str, port: int, **options: Any) -> None:
        if processes > 1 and settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith(
            "InMemoryChannelLayer"
        ):
            raise CommandError(
                "Several processes need a shared channel layer: set REDIS_URL (and DATABASE_URL)."
            )
        listener = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((bind, port))
        listener.listen(1024)
        listener.set_inheritable(True)
        fd = listener.fileno()
        command = [sys.executable, "-m", "daphne", "--fd", str(fd)]
        if options["proxy_headers"]:
            command.append("--proxy-headers")
        command.append("imago_site.asgi:application")
        children = [subprocess.Popen(command, pass_fds=[fd]) for _ in range(processes)]
        if not options["no_worker"]:
            # Reminders and emails: one task worker per deployment, from the same settings.
            worker = [sys.executable, "manage.py", "run_huey", "--quiet"]
            children.append(subprocess.Popen(worker, cwd=settings.BASE_DIR))
        worker_note = "" if options["no_worker"] else " and the task worker"
        self.stdout.write(
            f"Imago on http://{bind}:{port} with {processes} daphne processes{worker_note}"
        )

        def stop(*_: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
            listener.close()
        if any(child.returncode not in (0, -signal.SIGTERM) for child in children):
            raise CommandError("A daphne process or the task worker stopped; all were stopped.")
