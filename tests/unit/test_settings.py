from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from traveltide.settings import DEFAULT_URLS, SettingsError, load_settings


def test_defaults_follow_the_spec() -> None:
    s = load_settings()
    assert s.start_date == date(2023, 1, 4)
    assert s.min_sessions == 7
    assert s.k == 4
    assert s.source == "sample"
    assert s.urls == DEFAULT_URLS


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start_date": "2023-02-30"}, r"invalid setting start_date: '2023-02-30' is not a date"),
        ({"start_date": "yesterday"}, r"invalid setting start_date"),
        ({"min_sessions": 0}, r"invalid setting min_sessions"),
        ({"source": "ftp://nowhere"}, r"invalid setting source: 'ftp://nowhere' is not a known source"),
        ({"k": 1}, r"invalid setting k"),
        ({"k_min": 6, "k_max": 3}, r"k_min \(6\) must not exceed k_max \(3\)"),
        ({"hyper_file_version": "9"}, r"invalid setting hyper_file_version"),
        ({"urls": {"bookings": "https://x.invalid/b.csv"}}, r"invalid setting urls: unknown table\(s\) \['bookings'\]"),
    ],
)
def test_invalid_settings_name_the_setting(overrides: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(**overrides)


def test_precedence_file_then_environment_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text('min_sessions = 5\nk = 3\nstart_date = "2022-12-01"\n')
    s = load_settings(config=cfg)
    assert (s.min_sessions, s.k, s.start_date) == (5, 3, date(2022, 12, 1))
    monkeypatch.setenv("TRAVELTIDE_MIN_SESSIONS", "6")
    s = load_settings(config=cfg)
    assert (s.min_sessions, s.k) == (6, 3)
    s = load_settings(config=cfg, min_sessions=9, k="auto")
    assert (s.min_sessions, s.k) == (9, None)


def test_partial_url_override_keeps_other_defaults() -> None:
    s = load_settings(urls={"users": "http://127.0.0.1:1/users.csv"})
    assert s.urls["users"] == "http://127.0.0.1:1/users.csv"
    assert s.urls["hotels"] == DEFAULT_URLS["hotels"]


def test_folder_source_must_exist(tmp_path: Path) -> None:
    assert load_settings(source=str(tmp_path)).source_kind == "folder"
    with pytest.raises(SettingsError, match="is not a known source"):
        load_settings(source=str(tmp_path / "missing"))


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"config: .*nope.toml does not exist"):
        load_settings(config=tmp_path / "nope.toml")
