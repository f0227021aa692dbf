"""/healthz tells a load balancer whether the database and the broker answer."""

from service.app import create_app


def test_healthz_is_ok_on_embedded_defaults(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "broker": "in-process"}


def test_healthz_checks_real_redis(app_config, redis_url):
    app = create_app(app_config | {"REDIS_URL": redis_url})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json["broker"] == "ok"


def test_healthz_is_503_when_redis_is_down(app_config):
    app = create_app(app_config | {"REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["broker"] == "unreachable" and response.json["database"] == "ok"


def test_healthz_is_503_when_the_database_is_down(app_config):
    app = create_app(app_config | {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"
