"""The App's private key file must be readable by its owner only; otherwise Tact refuses to start."""

from __future__ import annotations

import os

import pytest

from service.config import Config, ConfigError

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def config_with_key_file(tmp_path, mode: int) -> Config:
    key = tmp_path / "app.pem"
    key.write_text(PEM)
    key.chmod(mode)
    return Config.from_env({"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY_PATH": str(key),
                            "GITHUB_WEBHOOK_SECRET": "s"})


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_a_key_file_others_can_read_stops_the_start(tmp_path, mode):
    with pytest.raises(ConfigError) as raised:
        config_with_key_file(tmp_path, mode).validate()
    message = str(raised.value)
    assert f"mode {mode:04o}" in message and "chmod 600" in message
    assert "MIIB" not in message  # the key itself never reaches an error message


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_key_file_only_its_owner_can_read_is_accepted(tmp_path, mode):
    config = config_with_key_file(tmp_path, mode).validate()
    assert config.github_private_key == PEM
