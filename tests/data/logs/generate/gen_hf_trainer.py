"""Hugging Face transformers Trainer on a tiny randomly initialised BERT (no hub downloads)."""

import sys


def job(variant):
    import numpy as np
    import torch
    import transformers
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    if variant in ("info", "info_pty"):
        transformers.logging.set_verbosity_info()  # what the example scripts do
    torch.manual_seed(0)
    config = BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=2)
    model = BertForSequenceClassification(config)

    def dataset(n, seed):
        g = torch.Generator().manual_seed(seed)
        ids = torch.randint(1, 64, (n, 12), generator=g)
        labels = (ids[:, 0] > 32).long()  # learnable from the first token
        return [{"input_ids": i, "attention_mask": torch.ones(12, dtype=torch.long), "labels": l}
                for i, l in zip(ids, labels)]

    def accuracy(pred):
        return {"accuracy": float((np.argmax(pred.predictions, -1) == pred.label_ids).mean())}

    if variant == "nan":  # a plain nn.Module regressor; one training row holds a NaN feature
        class Regressor(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = torch.nn.Linear(4, 1)

            def forward(self, x, labels=None):
                out = self.lin(x).squeeze(-1)
                return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}

        model, compute_metrics = Regressor(), None
        xs = torch.randn(160, 4)
        xs[100, 2] = float("nan")

        def dataset(n, seed):
            g = torch.Generator().manual_seed(seed)
            x = torch.randn(n, 4, generator=g) if seed != 1 else xs
            return [{"x": r, "labels": r.sum()} for r in x]
    else:
        compute_metrics = accuracy

    args = TrainingArguments(
        output_dir="out", num_train_epochs=3, per_device_train_batch_size=8, per_device_eval_batch_size=8,
        learning_rate=5e-3, logging_steps=5, eval_strategy="epoch",
        save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=False, seed=0)
    trainer = Trainer(model=model, args=args, train_dataset=dataset(160, 1), eval_dataset=dataset(48, 2),
                      compute_metrics=compute_metrics)
    trainer.train()


VARIANTS = ["default", "info", "buffered", "nan"]

if __name__ == "__main__":
    if len(sys.argv) > 1:
        job(sys.argv[1])
    else:
        import transformers
        from _common import run
        v = transformers.__version__
        for name in VARIANTS:
            run(f"hf_trainer_{v}_{name}.log", __file__, name, unbuffered=(name != "buffered"))
        run(f"hf_trainer_{v}_stdout_only.log", __file__, "default", stdout_only=True)
        run(f"hf_trainer_{v}_info.pty.log", __file__, "info_pty", pty=True)
