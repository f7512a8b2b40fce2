"""chainrule's neural networks, built only from ``autograd`` graph operations."""

from nn import activations
from nn.activations import get_activation
from nn.module import Module
from nn.perceptron import Perceptron
from nn.scalar import MLP, Layer, Neuron

__all__ = ["MLP", "Layer", "Module", "Neuron", "Perceptron", "activations", "get_activation"]
