"""The targets file: JSON or TOML, every mistake refused at start with the file, the target and the key named."""
from __future__ import annotations

import json
import re

import pytest

from wallet_service.delivery.targets import load_targets
from wallet_service.platform.config import ConfigError
from wallet_service.services import services


def test_toml_and_json_read_the_same(tmp_path):
    toml = tmp_path / "targets.toml"
    toml.write_text('[[targets]]\nname = "portal"\nurl = "https://store.example/inbox"\nagencies = ["000.00.15.H40"]\n'
                    'procedures = ["1.001612.000.00.00.H40"]\ninclude_document = false\nmax_attempts = 3\n')
    as_json = tmp_path / "targets.json"
    as_json.write_text(json.dumps({"targets": [{"name": "portal", "url": "https://store.example/inbox",
                                                "agencies": ["000.00.15.H40"], "procedures": ["1.001612.000.00.00.H40"],
                                                "include_document": False, "max_attempts": 3}]}))
    assert load_targets(toml) == load_targets(as_json)
    (target,) = load_targets(toml).targets
    assert target.wants("000.00.15.H40", "1.001612.000.00.00.H40")
    assert not target.wants("000.00.04.H40", "1.001612.000.00.00.H40")
    assert not target.wants("000.00.15.H40", "1.001193.000.00.00.H40")
    assert load_targets(None).targets == ()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "is not valid JSON"),
        (json.dumps({"targets": {}}), "'targets' list"),
        (json.dumps({"targets": [{"url": "https://a.example/"}]}), "'name'"),
        (json.dumps({"targets": [{"name": "x", "type": "ftp", "url": "https://a.example/"}]}), "unknown type 'ftp'"),
        (json.dumps({"targets": [{"name": "x", "url": "file:///etc/passwd"}]}), "http(s) URL"),
        (json.dumps({"targets": [{"name": "x", "url": "https://a.example/", "agencies": "000.00.15.H40"}]}), "'agencies'"),
        (json.dumps({"targets": [{"name": "x", "url": "https://a.example/", "max_attempts": 0}]}), "'max_attempts'"),
        (json.dumps({"targets": [{"name": "x", "url": "https://a.example/", "retries": 3}]}), "unknown keys retries"),
        (json.dumps({"targets": [{"name": "x", "url": "https://a.example/"}, {"name": "x", "url": "https://b.example/"}]}),
         "unique (x)"),
    ],
)
def test_mistakes_are_named(tmp_path, content, says):
    path = tmp_path / "targets.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match="DELIVERY_TARGETS_FILE") as refused:
        load_targets(path)
    assert says in str(refused.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_targets(tmp_path / "absent.toml")


def test_app_refuses_to_start_with_a_bad_file(make_app, tmp_path):
    path = tmp_path / "targets.json"
    path.write_text(json.dumps({"targets": [{"name": "x", "type": "ftp", "url": "https://a.example/"}]}))
    with pytest.raises(ConfigError, match="unknown type"):
        make_app(DELIVERY_TARGETS_FILE=str(path))


def test_the_round_size_is_a_setting_and_a_bad_one_is_named(make_app):
    assert services(make_app(DELIVERY_BATCH_SIZE="7")).delivery.worker.batch_size == 7
    with pytest.raises(ConfigError, match="DELIVERY_BATCH_SIZE"):
        make_app(DELIVERY_BATCH_SIZE="0")


def test_production_needs_a_provided_delivery_key(tmp_path):
    from tests.conftest import production_environment
    from wallet_service import create_app

    path = tmp_path / "targets.json"
    path.write_text(json.dumps({"targets": [{"name": "portal", "url": "https://a.example/"}]}))
    with pytest.raises(ConfigError, match="DELIVERY_SIGNING_KEY_FILE"):
        create_app({**production_environment(tmp_path), "DELIVERY_TARGETS_FILE": str(path)})


@pytest.mark.parametrize("entry, expected", [
    ({"name": "mail", "type": "email", "url": "https://mail.example"}, "an smtp(s) URL"),
    ({"name": "sms", "type": "notice_webhook", "url": "https://gateway.example"}, "needs 'secret_env'"),
    ({"name": "sms", "type": "notice_webhook", "url": "https://g.example", "secret_env": ""}, "must be texts"),
])
def test_notice_target_mistakes_are_named(tmp_path, entry, expected):
    path = tmp_path / "targets.json"
    path.write_text(json.dumps({"targets": [entry]}))
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_targets(path)
