"""The ``schulhof`` command: run the whole installation, seed a demo school, check, manage.

Subcommands that change data are thin wrappers around Django management commands, which in
turn call the same actions as the portal.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schulhof.supervisor import ChildSpec

# Subcommands forwarded to Django management commands of the same name (dashes → underscores).
FORWARDED = {
    "demo": "Seed the demo school (only into an empty database unless --force).",
    "setup": "Migrate the database and collect static files (idempotent).",
    "check": "Check configuration, database, data folder and migrations.",
    "user-add": "Create a user and print the username and first password.",
    "issue-first-password": "Issue a new 6-digit first password to a user.",
    "set-password": "Set a user's password from standard input.",
    "user-lock": "Lock a user, optionally until a date.",
    "quota": "Show a user's storage usage (files + mail); --set SIZE sets a limit (5G, none).",
    "import-users": "Import pupils/teachers from SchILD/CSV (preview; --apply imports).",
    "consent": "Record a pupil's consent and the handover of their credentials.",
    "moodle-export": "Write the CSV for Moodle's 'Upload users'.",
}

# Where the Django command's name differs (Django already has a "check" of its own).
COMMAND_NAMES = {"check": "schulhof_check"}


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schulhof.settings")
    import django

    django.setup()


def _manage(argv: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schulhof.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["schulhof manage", *argv])
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Start web server and worker under the supervisor until Ctrl-C or SIGTERM."""
    if args.bind:
        os.environ["SCHULHOF_BIND"] = args.bind
    if args.port:
        os.environ["SCHULHOF_WEB_PORT"] = str(args.port)
    _django_setup()
    from django.conf import settings
    from django.core.management import call_command

    from schulhof.supervisor import ChildSpec, Supervisor, tcp_ready_check

    config = settings.SCHULHOF_CONFIG
    if not args.no_setup:
        call_command("setup", verbosity=0)
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "schulhof.settings"
    env["SCHULHOF_DATA_DIR"] = str(config.data_dir)
    env.setdefault("PYTHONUNBUFFERED", "1")
    bind_host = "[%s]" % config.bind if ":" in config.bind else config.bind
    web = ChildSpec(
        name="web",
        argv=[
            sys.executable,
            "-m",
            "gunicorn",
            "schulhof.wsgi:application",
            "--bind",
            "%s:%d" % (bind_host, config.web_port),
            "--workers",
            str(config.web_workers),
            "--threads",
            str(config.web_threads),
            "--worker-class",
            "gthread",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            # The control socket lives in $HOME; several installations would collide.
            "--no-control-socket",
            "--graceful-timeout",
            "5",
            "--timeout",
            "120",
        ],
        env=env,
        ready_check=tcp_ready_check(config.connect_host, config.web_port),
    )
    worker = ChildSpec(name="worker", argv=[sys.executable, "-m", "schulhof", "worker"], env=env)
    children = [web] if args.no_worker else [web, worker]
    mail_lines: list[str] = []
    if config.mail_enabled and not args.no_mail:
        mail_children, mail_lines = _mail_children(env)
        children += mail_children

    def announce() -> None:
        from schulhof.core.demo import login_lines

        lines = [
            "",
            "Schulhof is running:",
            "  Portal       %s/" % config.base_url,
            "  Health       %s/healthz" % config.base_url,
            "  Data folder  %s" % config.data_dir,
        ]
        lines += mail_lines
        lines += login_lines()
        lines += ["Stop with Ctrl-C.", ""]
        print("\n".join(lines), flush=True)

    supervisor = Supervisor(children, log_dir=config.log_dir, on_ready=announce)
    return supervisor.run()


def _mail_children(env: dict[str, str]) -> tuple[list[ChildSpec], list[str]]:
    """Dovecot, Postfix and the mail gate as supervised children, with the lines that tell
    where they listen. Prints why mail is off if the servers cannot run here."""
    from django.conf import settings
    from django.db import connection

    from schulhof.mail.conf import mail_conf
    from schulhof.mail.servers.setup import MailSetupError, prepare
    from schulhof.supervisor import ChildSpec, tcp_ready_check

    conf = mail_conf()
    try:
        servers = prepare(
            conf,
            log_dir=settings.SCHULHOF_CONFIG.log_dir,
            database=connection.settings_dict,
            secrets=settings.SECRETS,
        )
    except MailSetupError as error:
        print("Mail is off: %s" % error, file=sys.stderr, flush=True)
        return [], []
    host = conf.internal_host
    children = [
        ChildSpec(
            name="mailgate",
            argv=[sys.executable, "-m", "schulhof", "mailgate"],
            env=env,
            ready_check=tcp_ready_check(host, conf.login_policy_port),
        ),
        ChildSpec(
            name="dovecot",
            argv=servers.dovecot_argv(),
            ready_check=tcp_ready_check(conf.client_host, conf.imap_port),
        ),
    ]
    lines = [
        "  IMAP         %s:%d (STARTTLS), %d (TLS)"
        % (conf.hostname, conf.imap_port, conf.imaps_port),
    ]
    if servers.postfix_config_dir is not None:
        children.append(
            ChildSpec(
                name="postfix",
                argv=servers.postfix_argv(),
                ready_check=tcp_ready_check(conf.client_host, conf.submission_port),
            )
        )
        lines += [
            "  SMTP         %s:%d (submission, STARTTLS), %d (incoming)"
            % (conf.hostname, conf.submission_port, conf.smtp_port)
        ]
    else:
        print("Postfix needs root; sending mail is off.", file=sys.stderr, flush=True)
    return children, lines


def _stop_on_signals() -> threading.Event:
    """An event that SIGTERM and SIGINT set: a child process ends its loop cleanly."""
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def cmd_mailgate(args: argparse.Namespace) -> int:
    """The mail gate: lookups, policy, milter and login policy for Postfix and Dovecot."""
    _django_setup()
    from django.conf import settings

    from schulhof.mail.conf import mail_conf
    from schulhof.mail.gate.server import MailGate

    stop = _stop_on_signals()
    gate = MailGate(mail_conf(), token=settings.SECRETS["internal_api_token"])
    gate.start()
    try:
        gate.wait(stop)
    finally:
        gate.stop()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """The background worker process (started by ``schulhof run``)."""
    _django_setup()
    from django.conf import settings

    from schulhof.core.tasks import run_worker

    stop = _stop_on_signals()
    run_worker(
        stop,
        poll_seconds=settings.SCHULHOF_CONFIG.worker_poll_seconds,
        max_tasks=args.max_tasks,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schulhof",
        description="Schulhof: the self-hosted school platform.",
        epilog="Each subcommand has its own --help.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="Start web server and worker (Ctrl-C stops everything).")
    run.add_argument("--bind", help="Address to listen on (default 127.0.0.1).")
    run.add_argument("--port", type=int, help="Web port (default 8000).")
    run.add_argument("--no-worker", action="store_true", help="Do not start the worker.")
    run.add_argument("--no-mail", action="store_true", help="Do not start the mail servers.")
    run.add_argument(
        "--no-setup", action="store_true", help="Skip migrations and static files on start."
    )
    run.set_defaults(func=cmd_run)

    mailgate = sub.add_parser("mailgate", help="Run the mail gate (started by `run`).")
    mailgate.set_defaults(func=cmd_mailgate)

    worker = sub.add_parser("worker", help="Run the background worker in the foreground.")
    worker.add_argument("--max-tasks", type=int, default=None, help="Stop after N tasks.")
    worker.set_defaults(func=cmd_worker)

    manage = sub.add_parser("manage", help="Run a Django management command.", add_help=False)
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=lambda a: _manage(a.args or ["help"]))

    for name, help_text in FORWARDED.items():
        forwarded = sub.add_parser(name, help=help_text, add_help=False)
        forwarded.add_argument("args", nargs=argparse.REMAINDER)
        command = COMMAND_NAMES.get(name, name.replace("-", "_"))
        forwarded.set_defaults(func=lambda a, command=command: _manage([command, *a.args]))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Forwarded commands parse their own options (argparse would reject "--option" first).
    if argv and argv[0] == "manage":
        return _manage(argv[1:] or ["help"])
    if argv and argv[0] in FORWARDED:
        return _manage([COMMAND_NAMES.get(argv[0], argv[0].replace("-", "_")), *argv[1:]])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
