"""stable-baselines3: PPO on CartPole for 4096 steps with verbose=1 (its logger's boxes), and the
same run killed by SIGINT after its second box.

Needs `pip install stable-baselines3 gymnasium` beside torch (see tests/data/logs/README.md)."""

import signal
import sys


def job(variant):
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", "CartPole-v1", verbose=1, n_steps=512, batch_size=64, n_epochs=2, seed=0, device="cpu")
    model.learn(total_timesteps=4096 if variant == "default" else 40960)


VARIANTS = ["default"]

if __name__ == "__main__":
    if len(sys.argv) > 1:
        job(sys.argv[1])
    else:
        from _common import run
        run("sb3_ppo_cartpole.log", __file__, "default")
        run("sb3_ppo_cartpole_interrupt.log", __file__, "long", signal_when=rb"total_timesteps +\| 2048 ",
            sig=signal.SIGINT)
