"""LightGBM 4.x: train with early stopping, a run that never stops early, lgb.cv, sklearn API."""

import sys


def data():
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1500, 10))
    y = 50 * x[:, 0] + 20 * x[:, 1] ** 2 + rng.normal(scale=30, size=1500)
    return x[:1200], y[:1200], x[1200:], y[1200:]


def job(variant):
    import lightgbm as lgb
    xt, yt, xv, yv = data()
    dtrain = lgb.Dataset(xt, label=yt)
    dvalid = lgb.Dataset(xv, label=yv, reference=dtrain)
    params = {"objective": "regression", "learning_rate": 0.1, "num_leaves": 15, "num_threads": 1}
    if variant == "early_stop":
        lgb.train(params, dtrain, 1000, valid_sets=[dtrain, dvalid],
                  callbacks=[lgb.early_stopping(5), lgb.log_evaluation(10)])
    elif variant == "no_early_stop":
        lgb.train(params, dtrain, 40, valid_sets=[dvalid],
                  callbacks=[lgb.early_stopping(50), lgb.log_evaluation(5)])
    elif variant == "cv":
        lgb.cv(params, dtrain, 20, nfold=3, stratified=False, callbacks=[lgb.log_evaluation(5)], seed=0)
    elif variant == "cv_stratified_error":  # real mistake: lgb.cv stratifies by default, fails on a regression target
        lgb.cv(params, dtrain, 20, nfold=3, callbacks=[lgb.log_evaluation(5)], seed=0)
    elif variant == "sklearn":
        clf = lgb.LGBMClassifier(n_estimators=20, num_leaves=7, n_jobs=1)
        clf.fit(xt, yt > yt.mean(), eval_set=[(xv, yv > yt.mean())], callbacks=[lgb.log_evaluation(1)])


VARIANTS = ["early_stop", "no_early_stop", "cv", "cv_stratified_error", "sklearn"]

if __name__ == "__main__":
    if len(sys.argv) > 1:
        job(sys.argv[1])
    else:
        from _common import run
        for name in VARIANTS:
            run(f"lightgbm_{name}.log", __file__, name)
