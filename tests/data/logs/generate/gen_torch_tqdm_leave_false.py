# Writes tests/data/logs/torch_tqdm_leave_false_midrun.log (cut at "epoch 2:  59%" + 80 bytes):
#   waitbuddy run --log train.log -- python gen_torch_tqdm_leave_false.py   (torch 2.13.0+cpu, tqdm 4.70.1)
# Nested tqdm with leave=False and a print per epoch: the "epoch 0" bars are overwritten on screen.
import torch, time
from torch import nn
from tqdm import tqdm
torch.manual_seed(0)
X = torch.randn(2048, 32); y = (X[:, :4].sum(1) > 0).long()
model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 2))
opt = torch.optim.Adam(model.parameters(), 1e-3)
epochs = 4
for epoch in tqdm(range(epochs), desc="epochs"):
    bar = tqdm(range(0, 2048, 64), desc=f"epoch {epoch}", leave=False)
    for i in bar:
        loss = nn.functional.cross_entropy(model(X[i:i+64]), y[i:i+64])
        opt.zero_grad(); loss.backward(); opt.step()
        bar.set_postfix(loss=f"{loss.item():.4f}")
        time.sleep(0.15)
    print(f"epoch {epoch} loss {loss.item():.4f}")
