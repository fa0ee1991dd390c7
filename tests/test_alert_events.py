from dataclasses import replace

from waitbuddy.alerts.events import AlertPolicy
from waitbuddy.runs.snapshot import RunSnapshot, SnapshotError


def snap(status="running", *, path="/r/bert.log", name="bert-base", error=None, stall=None, elapsed=600.0,
         eta=None, fraction=0.5, muted=False, metrics=None, started_at=None):
    snapshot = RunSnapshot.from_json({
        "path": path, "name": name, "status": status, "error": error, "stall": stall, "elapsed_seconds": elapsed,
        "eta_seconds": eta, "metrics": metrics or {}, "started_at": started_at,
        "progress": {"unit": "step", "done": 1, "total": 2, "fraction": fraction}})
    return replace(snapshot, muted=muted)


def test_issue_examples():
    policy = AlertPolicy()
    policy.observe(snap(), 0)
    (done,) = policy.observe(snap("completed", elapsed=3 * 3600 + 12 * 60, metrics={"eval_loss": 0.213}), 1)
    assert done.text == "✔ bert-base finished in 3h12m · eval_loss 0.213"
    policy.observe(snap(path="/r/42.log", name="run-42"), 0)
    oom = {"kind": "cuda_oom", "message": "CUDA out of memory (tried to allocate 2.00 GiB)"}
    (failed,) = policy.observe(snap("failed", path="/r/42.log", name="run-42", error=oom, elapsed=41 * 60), 1)
    assert failed.text == "✖ run-42 failed after 41m: CUDA out of memory (tried to allocate 2.00 GiB)"
    assert failed.severity == "error"
    policy.observe(snap(path="/r/7.log", name="run-7"), 0)
    (stalled,) = policy.observe(snap("stalled", path="/r/7.log", name="run-7",
                                     stall="no output for 14m (usually every 20s)"), 1)
    assert stalled.text == "⏸ run-7 stalled: no output for 14m (usually every 20s)"


def test_one_alert_per_transition_and_history_is_not_news():
    policy = AlertPolicy()
    assert policy.observe(snap("completed"), 0) == []  # already over when first seen
    assert policy.observe(snap("completed"), 1) == []
    other = AlertPolicy()
    other.observe(snap(), 0)
    assert len(other.observe(snap("completed"), 1)) == 1
    assert other.observe(snap("completed"), 2) == []


def test_nan_and_interrupt_kinds():
    policy = AlertPolicy()
    policy.observe(snap(), 0)
    (nan,) = policy.observe(snap("failed", error={"kind": "nan", "message": "loss is nan (NaN/inf)"}), 1)
    assert nan.kind == "nan" and nan.text.startswith("✖ bert-base hit NaN after 10m")
    policy.observe(snap(path="/r/b.log"), 0)
    (stop,) = policy.observe(snap("interrupted", path="/r/b.log",
                                  error={"kind": "interrupted", "message": "interrupted (SIGINT)"}), 1)
    assert stop.kind == "interrupted" and stop.text == "■ bert-base interrupted after 10m"


def test_stall_recover_stall_again_is_rate_limited():
    policy = AlertPolicy()
    policy.observe(snap(), 0)
    kinds = []
    now = 0.0
    for _ in range(60):  # an hour of flapping: stalled one minute, running the next
        now += 60
        kinds += [event.kind for event in policy.observe(snap("stalled", stall="no output for 10m"), now)]
        now += 60
        kinds += [event.kind for event in policy.observe(snap("running"), now)]
    assert kinds.count("stalled") <= 4 and len(kinds) <= 8, kinds
    assert kinds[:2] == ["stalled", "recovered"]


def test_a_long_stall_re_alerts_with_backoff():
    policy = AlertPolicy()
    policy.observe(snap(), 0)
    times = []
    for minute in range(1, 6 * 60):
        for event in policy.observe(snap("stalled", stall="no output"), minute * 60.0):
            times.append(minute)
    assert times[0] == 1 and len(times) <= 5
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert gaps == sorted(gaps) and gaps[0] >= 30


def test_muted_runs_stay_silent_but_are_tracked():
    policy = AlertPolicy()
    policy.observe(snap(muted=True), 0)
    assert policy.observe(snap("failed", muted=True, error={"kind": "exception", "message": "x"}), 1) == []
    assert policy.observe(snap("failed", muted=False, error={"kind": "exception", "message": "x"}), 2) == []


def test_eta_reminder_and_milestones_once_each():
    policy = AlertPolicy(eta_reminder_minutes=5, milestones=(50, 75))
    policy.observe(snap(fraction=0.1, eta=3600), 0)
    assert policy.observe(snap(fraction=0.55, eta=1800), 1)[0].text == "◷ bert-base is 50% done"
    (eta,) = policy.observe(snap(fraction=0.7, eta=240), 2)
    assert eta.text == "◷ bert-base: ~4m left"
    assert [event.text for event in policy.observe(snap(fraction=0.8, eta=100), 3)] == ["◷ bert-base is 75% done"]
    assert policy.observe(snap(fraction=0.9, eta=50), 4) == []


def test_hostile_text_is_sanitized():
    policy = AlertPolicy()
    policy.observe(snap(name="evil\x1b]52;c;x\x07"), 0)
    (event,) = policy.observe(snap("failed", name="evil\x1b]52;c;x\x07",
                                   error={"kind": "exception", "message": "boom\x07\x1b[2J"}), 1)
    assert "\x1b" not in event.text and "\x07" not in event.text


def test_runs_muted_in_config_by_name_or_path():
    policy = AlertPolicy(mute=("sweep-*", "*/debug.log"))
    for path, name in (("/r/s.log", "sweep-3"), ("/x/debug.log", "dbg"), ("/r/main.log", "main")):
        policy.observe(snap(path=path, name=name), 0)
    failed = {"kind": "exception", "message": "x"}
    assert policy.observe(snap("failed", path="/r/s.log", name="sweep-3", error=failed), 1) == []
    assert policy.observe(snap("failed", path="/x/debug.log", name="dbg", error=failed), 1) == []
    assert len(policy.observe(snap("failed", path="/r/main.log", name="main", error=failed), 1)) == 1


def test_nan_alerts_once_per_run_whatever_names_it_and_again_for_a_new_run():
    policy = AlertPolicy()
    first = snap(started_at="2026-12-01T10:00:00Z")
    policy.observe(first, 0)
    bar = SnapshotError("nan", "loss is nan (NaN/inf)")
    summary = SnapshotError("nan", "train_loss is nan (NaN/inf)")
    assert [a.kind for a in policy.observe(replace(first, status="failed", error=bar), 1)] == ["nan"]
    assert policy.observe(replace(first, status="failed", error=summary), 2) == []  # renamed, same NaN
    assert policy.observe(replace(first, status="running", error=None), 3) == []  # it came back ...
    assert policy.observe(replace(first, status="failed", error=bar), 4) == []  # ... and went again
    rerun = snap(started_at="2026-12-01T11:00:00Z")  # the log was rewritten by a new run
    policy.observe(rerun, 5)
    assert [a.kind for a in policy.observe(replace(rerun, status="failed", error=bar), 6)] == ["nan"]


def test_the_same_end_in_other_words_is_one_alert():
    """The log's "Slurm time limit reached", then Slurm's own words for it: one alert. Another
    kind of reason, or another exception, is news."""
    policy = AlertPolicy()
    now = 1000.0
    path = "/runs/slurm-12.out"
    assert policy.observe(RunSnapshot(path=path, name="train 12", status="running"), now) == []
    log = RunSnapshot(path=path, name="train 12", status="failed",
                      error=SnapshotError("slurm_time_limit", "Slurm time limit reached"))
    [first] = policy.observe(log, now + 1)
    slurm = RunSnapshot(path=path, name="train 12", status="failed",
                        error=SnapshotError("slurm_time_limit", "Slurm time limit reached (1h)"))
    assert first.kind == "failed" and policy.observe(slurm, now + 30) == []
    oom = RunSnapshot(path=path, name="train 12", status="failed",
                      error=SnapshotError("cuda_oom", "CUDA out of memory"))
    assert len(policy.observe(oom, now + 40)) == 1
    first_exc = RunSnapshot(path=path, name="x", status="failed", error=SnapshotError("exception", "ValueError: a"))
    second_exc = RunSnapshot(path=path, name="x", status="failed", error=SnapshotError("exception", "KeyError: b"))
    assert len(policy.observe(first_exc, now + 50)) == 1 and len(policy.observe(second_exc, now + 60)) == 1
