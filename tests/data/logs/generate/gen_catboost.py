"""CatBoost: verbose iterations with an eval set (overfitting detector) and without one."""

import sys


def data():
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1500, 10))
    y = 50 * x[:, 0] + 20 * x[:, 1] ** 2 + rng.normal(scale=30, size=1500)
    return x[:1200], y[:1200], x[1200:], y[1200:]


def job(variant):
    from catboost import CatBoostRegressor
    xt, yt, xv, yv = data()
    if variant == "early_stop":
        m = CatBoostRegressor(iterations=2000, learning_rate=0.3, depth=6, thread_count=1, random_seed=0)
        m.fit(xt, yt, eval_set=(xv, yv), early_stopping_rounds=30, verbose=10)
    elif variant == "no_eval":
        m = CatBoostRegressor(iterations=300, depth=4, thread_count=1, random_seed=0)
        m.fit(xt, yt, verbose=25)


VARIANTS = ["early_stop", "no_eval"]

if __name__ == "__main__":
    if len(sys.argv) > 1:
        job(sys.argv[1])
    else:
        from _common import run
        for name in VARIANTS:
            run(f"catboost_{name}.log", __file__, name)
