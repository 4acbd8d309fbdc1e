"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from hotline.core.database import create_db_engine
from hotline.main import create_app
from tests.support.database import make_settings
from tests.support.factories import tip_payload


def test_healthz_and_readyz_answer_when_the_database_is_up(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_readyz_says_503_when_the_database_cannot_be_reached(tmp_path):
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}"
    app = create_app(make_settings(missing), engine=create_db_engine(missing))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"


def test_metrics_count_requests_by_route_template_and_tips_by_channel(client, auth):
    def sample(text: str, prefix: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))

    before = client.get("/metrics").text
    tip = client.post("/api/v1/tips", json=tip_payload(channel="web"), headers=auth()).json()
    client.get(f"/api/v1/tips/{tip['id']}", headers=auth())
    after = client.get("/metrics").text

    tips_web = 'hotline_tips_received_total{channel="web"}'
    assert sample(after, tips_web) == sample(before, tips_web) + 1
    read = 'hotline_http_requests_total{method="GET",route="/api/v1/tips/{tip_id}",status="200"}'
    assert sample(after, read) == sample(before, read) + 1
    assert tip["id"] not in after, "raw paths must not become metric labels"
    assert (
        'hotline_http_request_duration_seconds_bucket{le="0.1",method="POST",route="/api/v1/tips"}' in after
    )


def test_a_database_outage_during_a_request_is_a_503_not_a_500(tmp_path):
    url = f"sqlite:///{tmp_path / 'gone.db'}"
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("SELECT 1"))
    (tmp_path / "gone.db").unlink()
    (tmp_path / "gone.db").mkdir()  # the file is now a directory: every new connection fails
    engine.dispose()
    app = create_app(make_settings(url), engine=engine)
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/tips", json=tip_payload(), headers={"Authorization": "Bearer hk_abc_def"}
        )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
