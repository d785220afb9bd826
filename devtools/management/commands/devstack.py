"""``make run``: migrate, load the demo, start web + Celery worker + beat, stop all on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from devtools import embedded
from devtools.demo import DEMO_PARTNER_EMAIL, DEMO_PASSWORD, DEMO_USERS, demo_seed


class Command(BaseCommand):
    help = "Run PartnerHub locally: web server, Celery worker and beat, with the demo vendor."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-seed", action="store_true", help="skip the demo data")

    def step(self, n: int, total: int, text: str) -> None:
        self.stdout.write(self.style.HTTP_INFO(f"[{n}/{total}] {text}"))
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        total = 5
        embedded_db = os.environ.get("PARTNERHUB_EMBEDDED_PG") == "1"
        embedded_redis = os.environ.get("PARTNERHUB_EMBEDDED_REDIS") == "1"
        self.step(
            1,
            total,
            "services: PostgreSQL "
            + ("embedded (.data/pg)" if embedded_db else "from DATABASE_URL")
            + ", Redis "
            + ("embedded (.data/redis)" if embedded_redis else "from REDIS_URL"),
        )
        self.step(2, total, "applying database migrations")
        call_command("migrate", interactive=False, verbosity=0)
        if options["no_seed"]:
            self.step(3, total, "demo data skipped (--no-seed)")
        else:
            self.step(3, total, "loading the demo vendor (idempotent)")
            demo_seed()

        log_dir = Path(settings.BASE_DIR) / ".data" / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        address = f"{options['host']}:{options['port']}"
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", address, "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "partnerhub",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "partnerhub",
                "beat",
                "-l",
                "info",
                "-S",
                "django_celery_beat.schedulers:DatabaseScheduler",
            ],
        }
        self.step(4, total, f"starting web, worker and beat (logs in {log_dir})")
        processes: dict[str, subprocess.Popen[bytes]] = {}
        for name, argv in commands.items():
            log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
            processes[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and argv
                argv,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        url = f"http://{address}/"
        self.step(5, total, f"waiting for {url}healthz")
        if not self._wait_healthy(url + "healthz", processes["web"]):
            self.stderr.write(f"The web server did not come up; see {log_dir / 'web.log'}")
            self._stop(processes, embedded_db, embedded_redis)
            raise SystemExit(1)

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"PartnerHub is running at {url}"))
        self.stdout.write(f"  dashboard: {url}app/acme/    API docs: {url}api/docs/")
        self.stdout.write(f"  demo log-ins (password {DEMO_PASSWORD}):")
        for login in DEMO_USERS:
            self.stdout.write(f"    {login.role:<8} {login.email}")
        self.stdout.write(
            f"    {'partner':<8} {DEMO_PARTNER_EMAIL}  (partner portal: {url}portal/)"
        )
        self.stdout.write("  API key:   .venv/bin/python manage.py apikey create --vendor acme")
        self.stdout.write("Press Ctrl-C to stop web, worker and beat.")

        stopping = False

        def on_signal(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            while not stopping:
                for name, proc in processes.items():
                    if proc.poll() is not None:
                        log_file = log_dir / f"{name}.log"
                        self.stderr.write(f"{name} exited ({proc.returncode}); see {log_file}")
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop(processes, embedded_db, embedded_redis)

    def _wait_healthy(self, url: str, web: subprocess.Popen[bytes]) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if web.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.5)
        return False

    def _stop(
        self,
        processes: dict[str, subprocess.Popen[bytes]],
        embedded_db: bool,
        embedded_redis: bool,
    ) -> None:
        self.stdout.write("Stopping…")
        for proc in processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, proc in processes.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self.stdout.write(f"  {name} stopped")
        if embedded_db or embedded_redis:
            embedded.stop_services(postgres=embedded_db, redis=embedded_redis)
            self.stdout.write("  embedded servers stopped")
        self.stdout.write(self.style.SUCCESS("Stopped cleanly."))
