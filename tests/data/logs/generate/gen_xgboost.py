"""XGBoost 3.x: native train with evals, early stopping, xgb.cv, sklearn API."""

import sys


def data():
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 10))
    y = 50 * x[:, 0] + 20 * x[:, 1] ** 2 + rng.normal(scale=20, size=600)
    return x[:450], y[:450], x[450:], y[450:]


def job(variant):
    import xgboost as xgb
    xt, yt, xv, yv = data()
    dtrain, dvalid = xgb.DMatrix(xt, label=yt), xgb.DMatrix(xv, label=yv)
    params = {"max_depth": 4, "eta": 0.3, "objective": "reg:squarederror", "nthread": 1}
    if variant == "train":
        xgb.train(params, dtrain, 30, evals=[(dtrain, "train"), (dvalid, "eval")], verbose_eval=True)
    elif variant == "early_stop":
        xgb.train(params, dtrain, 500, evals=[(dtrain, "train"), (dvalid, "eval")],
                  early_stopping_rounds=5, verbose_eval=True)
    elif variant == "cv":
        xgb.cv(params, dtrain, 20, nfold=3, verbose_eval=True, seed=0)
    elif variant == "sklearn":
        clf = xgb.XGBClassifier(n_estimators=20, max_depth=3, eval_metric=["logloss", "error"], n_jobs=1)
        clf.fit(xt, yt > yt.mean(), eval_set=[(xv, yv > yt.mean())], verbose=True)


VARIANTS = ["train", "early_stop", "cv", "sklearn"]

if __name__ == "__main__":
    if len(sys.argv) > 1:
        job(sys.argv[1])
    else:
        from _common import run
        for name in VARIANTS:
            run(f"xgboost_{name}.log", __file__, name)
