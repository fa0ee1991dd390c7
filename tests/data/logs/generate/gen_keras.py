"""Keras 3 (torch backend) model.fit: verbose=1, verbose=2, early stopping, NaN + TerminateOnNaN."""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")


def data(n=640, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    return x, y


def model(lr=0.01, optimizer="adam"):
    import keras
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
    opt = keras.optimizers.Adam(lr) if optimizer == "adam" else keras.optimizers.SGD(lr)
    m.compile(optimizer=opt, loss="binary_crossentropy", metrics=["accuracy"])
    return m


def fit(verbose):
    x, y = data()
    m = model()
    m.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=verbose)
    xt, yt = data(seed=2)
    m.evaluate(xt, yt, batch_size=16, verbose=verbose)


def unknown_steps():
    x, y = data()

    def batches():  # a plain generator: Keras cannot know the number of steps
        for i in range(0, len(x), 16):
            yield x[i:i + 16], y[i:i + 16]
    model().fit(batches(), epochs=1, verbose=1)


def early_stop():
    import keras
    x, y = data()
    y[:] = (data(seed=1)[1])  # labels unrelated to inputs: val_loss stops improving quickly
    cbs = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1),
           keras.callbacks.ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True, verbose=1)]
    model(lr=0.05).fit(x, y, epochs=30, batch_size=32, validation_split=0.2, callbacks=cbs, verbose=1)


def nan():
    import keras
    x, y = data()
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(1e4), loss="mse")  # diverges to inf/nan within a few steps
    m.fit(x, y * 1000, epochs=3, batch_size=16, validation_split=0.2,
          callbacks=[keras.callbacks.TerminateOnNaN()], verbose=1)
    print("fit returned normally")


JOBS = dict(verbose1=lambda: fit(1), verbose2=lambda: fit(2), early_stop=early_stop, nan=nan,
            unknown_steps=unknown_steps)

if __name__ == "__main__":
    if len(sys.argv) > 1:
        JOBS[sys.argv[1]]()
    else:
        from _common import run
        for name in JOBS:
            run(f"keras_{name}.log", __file__, name)
        run("keras_verbose1.pty.log", __file__, "verbose1", pty=True)
