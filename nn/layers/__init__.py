"""Keras-style layers on the numpy ``Tensor`` engine: ``Dense``, ``Conv2D``, pools, ``Flatten``,
``Dropout``, ``BatchNormalization`` and activation layers, with PyTorch's ``Linear`` beside
``Dense``. Images are channels-last (N, H, W, C) unless ``data_format="channels_first"``."""

from nn.layers.activation import Activation, LeakyReLU, PReLU, ReLU, Softmax
from nn.layers.augmentation import RandomFlip, RandomRotation, RandomTranslation, RandomZoom
from nn.layers.base import Layer
from nn.layers.convolutional import Conv2D
from nn.layers.core import Dense, Linear
from nn.layers.normalization import BatchNormalization
from nn.layers.pooling import AveragePooling2D, AvgPool2D, MaxPool2D, MaxPooling2D
from nn.layers.regularization import Dropout
from nn.layers.reshaping import Flatten

__all__ = [
    "Activation",
    "AveragePooling2D",
    "AvgPool2D",
    "BatchNormalization",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "LeakyReLU",
    "Linear",
    "MaxPool2D",
    "MaxPooling2D",
    "PReLU",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "Softmax",
]
