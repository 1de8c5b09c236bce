import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from schulhof.core import tasks
from schulhof.core.models import PeriodicJobState, Task, TaskStatus, WorkerHeartbeat

pytestmark = pytest.mark.django_db

calls: list[dict] = []


@tasks.task
def record(**kwargs):
    calls.append(kwargs)


@tasks.task
def explode(**kwargs):
    raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()


def test_enqueue_and_run_one_task():
    tasks.enqueue(record, value=1)
    claimed = tasks.claim_next("w1")
    assert claimed is not None and claimed.status == TaskStatus.RUNNING
    assert tasks.run_task(claimed)
    assert calls == [{"value": 1}]
    claimed.refresh_from_db()
    assert claimed.status == TaskStatus.DONE and claimed.attempts == 1


def test_unknown_task_cannot_be_enqueued():
    with pytest.raises(LookupError):
        tasks.enqueue("no.such.task")


def test_a_task_is_claimed_only_once():
    tasks.enqueue(record)
    assert tasks.claim_next("w1") is not None
    assert tasks.claim_next("w2") is None


def test_future_tasks_wait():
    tasks.enqueue(record, run_after=datetime(2099, 1, 1, tzinfo=UTC))
    assert tasks.claim_next("w1") is None


def test_failing_task_is_retried_then_marked_failed():
    task = tasks.enqueue(explode, max_attempts=2)
    assert not tasks.run_task(tasks.claim_next("w1"))
    task.refresh_from_db()
    assert task.status == TaskStatus.QUEUED and "boom" in task.last_error
    Task.objects.filter(pk=task.pk).update(run_after=datetime(2000, 1, 1, tzinfo=UTC))
    assert not tasks.run_task(tasks.claim_next("w1"))
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED and task.attempts == 2


def test_scheduler_enqueues_due_jobs_once_per_period():
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    name = tasks.task_name(tasks.registered_tasks()["schulhof.core.jobs.purge_audit_log"])
    assert name in tasks.periodic_jobs()
    every = tasks.periodic_jobs()[name].every
    first = tasks.schedule_due_jobs(now=start)
    assert name in first
    assert name not in tasks.schedule_due_jobs(now=start + every / 2)
    assert name in tasks.schedule_due_jobs(now=start + every)
    assert Task.objects.filter(name=name).count() == 2
    state = PeriodicJobState.objects.get(name=name)
    assert state.next_run == start + 2 * every


def test_worker_runs_tasks_and_leaves_heartbeat_until_stopped():
    tasks.enqueue(record, value="a")
    tasks.enqueue(record, value="b")
    stop = threading.Event()
    done = tasks.run_worker(stop, worker_id="test:1", poll_seconds=0.01, max_tasks=3)
    # Two queued tasks plus the periodic jobs enqueued on first start; max_tasks bounds it.
    assert done == 3
    assert {"value": "a"} in calls and {"value": "b"} in calls
    # A cleanly stopped worker removes its heartbeat, so /healthz reports it gone at once.
    assert not WorkerHeartbeat.objects.exists()


def test_worker_alive_follows_heartbeat_age():
    now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        tasks.beat("w1")
        assert tasks.worker_alive()
    with time_machine.travel(now + timedelta(seconds=59), tick=False):
        assert tasks.worker_alive()
    with time_machine.travel(now + timedelta(seconds=61), tick=False):
        assert not tasks.worker_alive()
