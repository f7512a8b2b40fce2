"""chainrule's optimizers, learning-rate schedules and gradient clipping.

Every optimizer updates ``Value`` and ``Tensor`` parameters alike and matches ``torch.optim``
step for step::

    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for x, y in batches:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

Batch, mini-batch and stochastic gradient descent are all ``SGD``: they differ only in the
batches the loss is computed on (all the data, a few dozen examples, or one).

Gradient clipping comes both ways: PyTorch's ``clip_grad_norm_`` / ``clip_grad_value_`` between
``backward()`` and ``step()``, or Keras's arguments of any optimizer, ``clipnorm=``,
``global_clipnorm=`` or ``clipvalue=`` (``Adam(learning_rate=1e-3, clipnorm=1.0)``).
"""

from optim import schedules as lr_scheduler
from optim.adam import Adam, Adamax, AdamW, NAdam
from optim.adaptive import AdaDelta, Adagrad, RMSprop
from optim.clip import clip_grad_norm_, clip_grad_value_
from optim.finder import LRFinderResult, find_lr
from optim.optimizer import Optimizer
from optim.schedules import (
    CosineAnnealingLR,
    CyclicLR,
    ExponentialLR,
    InverseTimeDecay,
    LambdaLR,
    LinearLR,
    LRScheduler,
    ReduceLROnPlateau,
    StepLR,
)
from optim.sgd import SGD, Momentum, Nesterov

__all__ = [
    "SGD",
    "AdaDelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "CosineAnnealingLR",
    "CyclicLR",
    "ExponentialLR",
    "InverseTimeDecay",
    "LRFinderResult",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "Momentum",
    "NAdam",
    "Nesterov",
    "Optimizer",
    "RMSprop",
    "ReduceLROnPlateau",
    "StepLR",
    "clip_grad_norm_",
    "clip_grad_value_",
    "find_lr",
    "lr_scheduler",
]
