"""A small database-backed task queue and periodic scheduler, run by ``schulhof worker``.

Why our own: the work is modest (deletions, expiries, imports, mail jobs), it must run on SQLite
and PostgreSQL alike without a broker, and it must be inspectable in the same database.

- ``@task`` registers a function under its dotted name; ``enqueue(fn, **kwargs)`` queues it.
- ``@periodic(every=...)`` registers a job the scheduler enqueues when it is due.
- Claiming is a conditional UPDATE (``status=queued`` → ``running``), so several workers never
  run the same task, without needing ``SELECT … FOR UPDATE`` (which SQLite lacks).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from schulhof.core.models import PeriodicJobState, Task, TaskStatus, WorkerHeartbeat

logger = logging.getLogger(__name__)

TaskFunc = Callable[..., Any]
_registry: dict[str, TaskFunc] = {}


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta


_periodic: dict[str, PeriodicJob] = {}

HEARTBEAT_SECONDS = 10
# /healthz reports the worker dead after this long without a heartbeat.
HEARTBEAT_STALE_AFTER = timedelta(seconds=60)
RETRY_DELAY = timedelta(minutes=1)


def task_name(func: TaskFunc) -> str:
    return "%s.%s" % (func.__module__, func.__qualname__)


def task(func: TaskFunc) -> TaskFunc:
    """Register ``func`` as a background task (it receives keyword arguments only)."""
    _registry[task_name(func)] = func
    return func


def periodic(every: timedelta) -> Callable[[TaskFunc], TaskFunc]:
    """Register a task that the scheduler enqueues every ``every``."""

    def decorator(func: TaskFunc) -> TaskFunc:
        task(func)
        name = task_name(func)
        _periodic[name] = PeriodicJob(name=name, every=every)
        return func

    return decorator


def registered_tasks() -> dict[str, TaskFunc]:
    return dict(_registry)


def periodic_jobs() -> dict[str, PeriodicJob]:
    return dict(_periodic)


def enqueue(
    func: TaskFunc | str,
    *,
    run_after: datetime | None = None,
    max_attempts: int = 3,
    **kwargs: Any,
) -> Task:
    """Queue a registered task. Enqueue inside the caller's transaction: the task becomes
    visible to workers only if that transaction commits."""
    name = func if isinstance(func, str) else task_name(func)
    if name not in _registry:
        raise LookupError("Unknown task %r (is it decorated with @task?)" % name)
    return Task.objects.create(
        name=name,
        kwargs=kwargs,
        run_after=run_after or timezone.now(),
        max_attempts=max_attempts,
    )


def default_worker_id() -> str:
    return "%s:%d" % (socket.gethostname(), os.getpid())


def claim_next(worker_id: str, now: datetime | None = None) -> Task | None:
    """Claim the oldest due task, or return None. Safe against concurrent workers."""
    now = now or timezone.now()
    for _attempt in range(5):
        candidate = (
            Task.objects.filter(status=TaskStatus.QUEUED, run_after__lte=now)
            .order_by("run_after", "id")
            .values_list("id", flat=True)
            .first()
        )
        if candidate is None:
            return None
        claimed = Task.objects.filter(id=candidate, status=TaskStatus.QUEUED).update(
            status=TaskStatus.RUNNING, claimed_by=worker_id, started=now
        )
        if claimed:
            return Task.objects.get(id=candidate)
    return None


def run_task(task_obj: Task) -> bool:
    """Run one claimed task; record success, or failure with retry until max_attempts."""
    func = _registry.get(task_obj.name)
    task_obj.attempts += 1
    if func is None:
        task_obj.status = TaskStatus.FAILED
        task_obj.last_error = "Unknown task %s" % task_obj.name
        task_obj.finished = timezone.now()
        task_obj.save()
        logger.error("Unknown task %s (#%s)", task_obj.name, task_obj.pk)
        return False
    try:
        with transaction.atomic():
            func(**task_obj.kwargs)
    except Exception:
        task_obj.last_error = traceback.format_exc(limit=20)
        if task_obj.attempts < task_obj.max_attempts:
            task_obj.status = TaskStatus.QUEUED
            task_obj.run_after = timezone.now() + RETRY_DELAY * task_obj.attempts
        else:
            task_obj.status = TaskStatus.FAILED
            task_obj.finished = timezone.now()
        task_obj.save()
        logger.exception("Task %s (#%s) failed", task_obj.name, task_obj.pk)
        return False
    task_obj.status = TaskStatus.DONE
    task_obj.finished = timezone.now()
    task_obj.last_error = ""
    task_obj.save()
    logger.info("Task %s (#%s) done", task_obj.name, task_obj.pk)
    return True


def schedule_due_jobs(now: datetime | None = None) -> list[str]:
    """Enqueue every periodic job that is due; returns the names enqueued.

    The first time a job is seen it runs at once. Advancing ``next_run`` is a conditional
    update, so two workers never enqueue the same run twice.
    """
    now = now or timezone.now()
    enqueued: list[str] = []
    for job in _periodic.values():
        state, _created = PeriodicJobState.objects.get_or_create(
            name=job.name, defaults={"next_run": now}
        )
        if state.next_run > now:
            continue
        with transaction.atomic():
            advanced = PeriodicJobState.objects.filter(
                name=job.name, next_run=state.next_run
            ).update(last_run=now, next_run=now + job.every)
            if advanced:
                enqueue(job.name)
                enqueued.append(job.name)
    return enqueued


def beat(worker_id: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"last_seen": timezone.now()}
    )


def worker_alive(now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return WorkerHeartbeat.objects.filter(last_seen__gte=now - HEARTBEAT_STALE_AFTER).exists()


def run_worker(
    stop: threading.Event,
    *,
    worker_id: str | None = None,
    poll_seconds: float = 1.0,
    max_tasks: int | None = None,
) -> int:
    """The worker loop: heartbeat, scheduler, then tasks one by one until ``stop`` is set.

    Returns the number of tasks run. ``max_tasks`` bounds the loop (tests, one-shot runs).
    """
    worker_id = worker_id or default_worker_id()
    done = 0
    last_beat = 0.0
    logger.info(
        "Worker %s started with %d tasks, %d periodic jobs",
        worker_id,
        len(_registry),
        len(_periodic),
    )
    try:
        while not stop.is_set():
            if not connection.in_atomic_block:
                # Drop connections past their max age or broken by a database restart.
                close_old_connections()
            monotonic = timezone.now().timestamp()
            if monotonic - last_beat >= HEARTBEAT_SECONDS:
                beat(worker_id)
                last_beat = monotonic
            schedule_due_jobs()
            claimed = claim_next(worker_id)
            if claimed is None:
                stop.wait(poll_seconds)
                continue
            run_task(claimed)
            done += 1
            if max_tasks is not None and done >= max_tasks:
                break
    finally:
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
        logger.info("Worker %s stopped after %d tasks", worker_id, done)
    return done
