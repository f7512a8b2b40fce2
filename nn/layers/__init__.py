"""Keras-style layers on the numpy ``Tensor`` engine: ``Dense``, ``Conv2D``, pools, ``Flatten``,
``Dropout``, ``BatchNormalization`` and activation layers, with PyTorch's ``Linear`` beside
``Dense``. Images are channels-last (N, H, W, C) unless ``data_format="channels_first"``."""

from nn.layers.base import Layer
from nn.layers.core import Dense, Linear

__all__ = ["Dense", "Layer", "Linear"]
