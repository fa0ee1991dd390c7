"""Where waitbuddy keeps its config and data. Pure functions: nothing is created at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "waitbuddy"
CONFIG_ENV = "WAITBUDDY_CONFIG"
DATA_DIR_ENV = "WAITBUDDY_DATA_DIR"
DATABASE_NAME = "waitbuddy.db"


@dataclass(frozen=True)
class Paths:
    config: Path
    config_source: str  # "--config", the environment variable's name, or "default"
    data_dir: Path
    data_dir_source: str

    @property
    def database(self) -> Path:
        return self.data_dir / DATABASE_NAME

    def database_problem(self) -> str | None:
        """Why the database's path can never be used (a name past PATH_MAX, a loop of links),
        or None. A database not there yet is no problem: it is created on first use; what
        else stops it (a read-only directory) is for opening it to say."""
        try:
            os.stat(self.database)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:  # Path.exists() raises these, e.g. ENAMETOOLONG
            return exc.strerror or str(exc)
        except ValueError as exc:  # a NUL in the name
            return str(exc)
        return None

    @property
    def config_explicit(self) -> bool:
        """True when the user named the config file on the command line."""
        return self.config_source == "--config"


def _expand(value: str) -> Path:
    return Path(os.path.expandvars(value)).expanduser().absolute()


def resolve(config_arg: str | None = None, env: Mapping[str, str] | None = None) -> Paths:
    """Work out the config file and data dir: ``--config``, then environment, then platform dirs."""
    import platformdirs  # keeps `import waitbuddy.paths` free

    env = os.environ if env is None else env
    if config_arg:
        config, config_source = _expand(config_arg), "--config"
    elif env.get(CONFIG_ENV):
        config, config_source = _expand(env[CONFIG_ENV]), CONFIG_ENV
    else:
        config_dir = platformdirs.user_config_path(APP_NAME, appauthor=False)
        config, config_source = config_dir / "config.toml", "default"
    if env.get(DATA_DIR_ENV):
        data_dir, data_source = _expand(env[DATA_DIR_ENV]), DATA_DIR_ENV
    else:
        data_dir, data_source = platformdirs.user_data_path(APP_NAME, appauthor=False), "default"
    return Paths(config=config, config_source=config_source, data_dir=data_dir, data_dir_source=data_source)
