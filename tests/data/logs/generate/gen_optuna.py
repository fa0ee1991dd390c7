"""Optuna: 12 trials with intermediate reports, MedianPruner, one raising trial and one NaN trial."""

import sys
import time


def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    if trial.number == 5:
        raise ValueError(f"boom in trial {trial.number}: simulated data loader crash")
    if trial.number == 8:
        return float("nan")
    loss = (x - 2) ** 2 + 1
    for step in range(10):
        time.sleep(0.01)
        loss *= 0.9 + 0.01 * abs(lr)
        trial.report(loss, step)
        if trial.should_prune():
            import optuna
            raise optuna.TrialPruned()
    return loss


def job(variant):
    import optuna
    study = optuna.create_study(study_name="waitbuddy-demo", sampler=optuna.samplers.TPESampler(seed=0),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2))
    study.optimize(objective, n_trials=12, catch=(ValueError,), show_progress_bar=(variant == "progress_bar"))
    print(f"best trial {study.best_trial.number}: value={study.best_value:.4f} params={study.best_params}")


VARIANTS = ["default", "progress_bar"]

if __name__ == "__main__":
    if len(sys.argv) > 1:
        job(sys.argv[1])
    else:
        from _common import run
        for name in VARIANTS:
            run(f"optuna_{name}.log", __file__, name)
        run("optuna_default.pty.log", __file__, "default", pty=True)
