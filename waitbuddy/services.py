"""The services of one process (the dashboard, or a headless command), built once and handed to
what needs them: the composition root. Panes render and post messages; they build no services, so
two panes that fetch share one HTTP client and with it every host's limits (arXiv: one request
every 3 s), and the alerts of every run go through one alerter.

Everything here is made on first use: the dashboard's first frame must not wait for the log
parsers, the HTTP stack or the terminal's alert channels to import. ``close`` ends them all
without waiting on the network.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from waitbuddy.config import Config
from waitbuddy.store import Store

if TYPE_CHECKING:
    from waitbuddy import net
    from waitbuddy.alerts.dispatch import Alerter
    from waitbuddy.alerts.events import AlertPolicy
    from waitbuddy.runs.watcher import Snapshots, Watcher

QUIT_ALERT_SECONDS = 0.3  # what closing gives queued alerts to go out (a hanging push server waits no longer)


class Services:
    def __init__(self, config: Config, store: Store, *, environ: Mapping[str, str] | None = None,
                 focused: Callable[[], bool] | None = None, on_problem: Callable[[str], None] | None = None) -> None:
        """``focused``: whether the person is looking at the dashboard (desktop alerts are skipped
        then). ``on_problem``: where a problem no caller waits for is said (an alert not delivered);
        the dashboard shows it, a headless command prints it to stderr. Both may be called from
        any thread."""
        self.config = config
        self.store = store
        self.environ = os.environ if environ is None else environ
        self.focused = focused
        self.on_problem = on_problem
        self._lock = threading.Lock()
        self._http: net.Client | None = None
        self._alerter: Alerter | None = None
        self._progress: Any = None
        self._progress_built = False
        self._watcher: Watcher | None = None
        self._closed = False

    @property
    def http(self) -> net.Client:
        """Page and feed fetches: one client, every host limit."""
        with self._lock:
            if self._http is None:
                from waitbuddy.reading.metadata import make_client

                self._http = make_client()
            return self._http

    @property
    def alerter(self) -> Alerter:
        """Every channel the config turns on (bell, terminal, tmux, desktop, push, command), each on
        its own thread; a failed delivery is said through ``on_problem``."""
        with self._lock:
            if self._alerter is None:
                from waitbuddy.alerts.dispatch import Alerter
                from waitbuddy.alerts.setup import build_channels, enabled

                channels = enabled(build_channels(self.config.alerts, self.environ, focused=self.focused))
                self._alerter = Alerter(channels, report=self._delivery_report)
            return self._alerter

    def alert_policy(self) -> AlertPolicy:
        """What deserves an alert, as the config says (one per consumer: it remembers what it saw)."""
        from waitbuddy.alerts.events import AlertPolicy

        alerts = self.config.alerts
        return AlertPolicy(eta_reminder_minutes=alerts.eta_reminder_minutes, milestones=alerts.milestones,
                           mute=alerts.mute)

    @property
    def progress(self) -> Any:
        """The terminal's own progress indicator (OSC 9;4) for the main run, or None when off."""
        with self._lock:
            if not self._progress_built:
                from waitbuddy.alerts.setup import build_progress

                self._progress = build_progress(self.config.alerts, self.environ)
                self._progress_built = True
            return self._progress

    def watcher(self, patterns: list[str] | tuple[str, ...] = (), *, on_snapshots: Snapshots,
                on_error: Callable[[str], None] | None = None, **options: Any) -> Watcher:
        """The process's one run watcher, built from ``[runs]`` and started. ``options`` are the
        caller's own (``follow_store``, ``register``, ``spark_points``, ``polling``)."""
        from waitbuddy.runs.formats.user import compile_formats
        from waitbuddy.runs.watcher import Watcher

        runs = self.config.runs
        settings: dict[str, Any] = {"polling": runs.polling, "poll_seconds": runs.poll_seconds,
                                    "stall_floor": runs.stall_minutes * 60,
                                    "extra_recognizers": compile_formats(runs.formats),
                                    "ssh_command": runs.ssh_command, "slurm_poll_seconds": runs.slurm_poll_seconds}
        settings.update(options)
        with self._lock:
            if self._watcher is not None:
                raise RuntimeError("this process already watches runs")
            if self._closed:
                raise RuntimeError("closed")
            self._watcher = Watcher(list(patterns), on_snapshots=on_snapshots, store=self.store,
                                    on_error=on_error, **settings)
        self._watcher.start()
        return self._watcher

    def close(self, alert_seconds: float = QUIT_ALERT_SECONDS) -> None:
        """Stop the watcher, give queued alerts ``alert_seconds`` (what is not out by then is
        reported failed; the channel threads are daemons), clear the terminal's progress bar."""
        with self._lock:
            self._closed = True
            watcher, alerter, progress = self._watcher, self._alerter, self._progress
        if watcher is not None:
            watcher.stop()
        if alerter is not None:
            alerter.close(timeout=alert_seconds)
        if progress is not None:
            progress.clear()  # never leave a bar in the terminal's tab after quitting

    def _delivery_report(self, alert: object, delivery: Any) -> None:  # on a channel's thread
        if delivery.outcome == "failed" and self.on_problem is not None:
            self.on_problem(f"alert not delivered: {delivery}")
