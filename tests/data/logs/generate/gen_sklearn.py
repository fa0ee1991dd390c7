"""scikit-learn GridSearchCV / RandomizedSearchCV with verbose=3 (and verbose=10), n_jobs=1."""

import sys


def job(variant):
    from scipy.stats import loguniform
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.svm import SVC

    x, y = make_classification(n_samples=300, n_features=10, random_state=0)
    if variant == "grid_verbose3":
        # max_iter=3 on purpose: some fits emit a real ConvergenceWarning on stderr
        search = GridSearchCV(LogisticRegression(max_iter=3), {"C": [0.01, 0.1, 1.0], "tol": [1e-4, 1e-2]},
                              cv=3, verbose=3, n_jobs=1)
    elif variant == "random_verbose3":
        search = RandomizedSearchCV(SVC(), {"C": loguniform(1e-2, 1e2), "gamma": ["scale", "auto"]},
                                    n_iter=4, cv=5, verbose=3, n_jobs=1, random_state=0)
    elif variant == "grid_verbose10":
        search = GridSearchCV(SVC(), {"C": [0.1, 1.0], "kernel": ["rbf", "linear"]}, cv=3, verbose=10, n_jobs=1)
    search.fit(x, y)
    print(f"best params: {search.best_params_}, best score: {search.best_score_:.3f}")


VARIANTS = ["grid_verbose3", "random_verbose3", "grid_verbose10"]

if __name__ == "__main__":
    if len(sys.argv) > 1:
        job(sys.argv[1])
    else:
        from _common import run
        for name in VARIANTS:
            run(f"sklearn_{name}.log", __file__, name)
