"""chainrule's neural networks, built only from ``autograd`` graph operations.

Two engines, two families:
- on scalar ``Value``s, one sample at a time, small enough to draw: ``Perceptron``, ``Neuron``,
  ``NeuronLayer``, ``MLP``;
- on the numpy ``Tensor``, in batches, Keras's way: ``nn.layers`` (``Dense``, ``Conv2D``, ...),
  ``nn.models.Sequential`` with ``compile`` / ``fit`` / ``evaluate`` / ``predict``,
  ``nn.losses``, ``nn.metrics``, ``nn.callbacks``, ``nn.initializers``, ``nn.regularizers``.
Activations (``nn.activations``) and losses work on both.
"""

from nn import (
    activations,
    callbacks,
    data,
    diagnostics,
    export,
    image,
    initializers,
    layers,
    losses,
    metrics,
    model_view,
    models,
    random,
    regularizers,
    tuning,
)
from nn.activations import get_activation
from nn.model_view import plot_model
from nn.models import Sequential
from nn.module import Module
from nn.perceptron import Perceptron
from nn.scalar import MLP, Neuron, NeuronLayer
from nn.training import Model

__all__ = [
    "MLP",
    "Model",
    "Module",
    "Neuron",
    "NeuronLayer",
    "Perceptron",
    "Sequential",
    "activations",
    "callbacks",
    "data",
    "diagnostics",
    "export",
    "get_activation",
    "image",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "model_view",
    "models",
    "plot_model",
    "random",
    "regularizers",
    "tuning",
]
