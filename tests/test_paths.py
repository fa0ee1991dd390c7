from pathlib import Path

from waitbuddy import paths


def test_defaults_follow_the_platform_dirs(isolated_home: Path):
    where = paths.resolve()
    assert where.config == isolated_home / ".config" / "waitbuddy" / "config.toml"
    assert where.data_dir == isolated_home / ".local" / "share" / "waitbuddy"
    assert where.database == where.data_dir / "waitbuddy.db"
    assert (where.config_source, where.data_dir_source) == ("default", "default")
    assert not where.config_explicit


def test_environment_overrides(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(tmp_path / "c.toml"))
    monkeypatch.setenv("WAITBUDDY_DATA_DIR", str(tmp_path / "d"))
    where = paths.resolve()
    assert where.config == tmp_path / "c.toml"
    assert where.config_source == "WAITBUDDY_CONFIG"
    assert where.data_dir == tmp_path / "d"
    assert where.data_dir_source == "WAITBUDDY_DATA_DIR"


def test_config_flag_beats_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("WAITBUDDY_CONFIG", str(tmp_path / "env.toml"))
    where = paths.resolve(str(tmp_path / "flag.toml"))
    assert where.config == tmp_path / "flag.toml"
    assert where.config_explicit


def test_paths_expand_user_and_are_absolute(isolated_home: Path, monkeypatch, tmp_path: Path):
    monkeypatch.chdir(tmp_path)
    where = paths.resolve("~/wb.toml", env={"WAITBUDDY_DATA_DIR": "rel/data"})
    assert where.config == isolated_home / "wb.toml"
    assert where.data_dir == tmp_path / "rel" / "data"


def test_empty_environment_values_are_ignored(isolated_home: Path):
    where = paths.resolve(env={"WAITBUDDY_CONFIG": "", "WAITBUDDY_DATA_DIR": ""})
    assert where.config_source == "default" and where.data_dir_source == "default"


def test_resolving_creates_nothing(isolated_home: Path):
    paths.resolve()
    assert list(isolated_home.iterdir()) == []
