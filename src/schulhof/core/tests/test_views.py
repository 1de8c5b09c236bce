import pytest

from schulhof.core import tasks
from schulhof.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz_ok_with_live_worker(client):
    tasks.beat("w1")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": True, "data_dir": True, "worker": True},
    }


def test_healthz_reports_stopped_worker(client):
    tasks.beat("w1")
    WorkerHeartbeat.objects.all().delete()  # what a worker does when it stops
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["worker"] is False
    assert body["checks"]["database"] is True


def test_healthz_reports_unwritable_data_folder(client, settings, tmp_path):
    tasks.beat("w1")
    settings.DATA_DIR = tmp_path / "missing"
    body = client.get("/healthz").json()
    assert body["checks"]["data_dir"] is False


@pytest.mark.django_db
def test_admin_required_lets_only_admins_in(rf, admin_user, pupil) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from schulhof.core.http import admin_required

    view = admin_required(lambda request: HttpResponse("ok"))
    request = rf.get("/verwaltung/")
    request.user = AnonymousUser()
    assert view(request).status_code == 302
    request.user = pupil
    with pytest.raises(PermissionDenied):
        view(request)
    request.user = admin_user
    assert view(request).content == b"ok"
