"""Graduation: a trained chainrule model taken to PyTorch and to ONNX, and a PyTorch model
brought back.

    from nn.export import from_torch, to_onnx, to_torch

    torch_model = to_torch(model)                        # a torch.nn.Sequential, in eval mode
    to_onnx(model, "e19.onnx", input_shape=(30,))        # a file onnxruntime can run
    model = from_torch(torch_model)                      # a chainrule Sequential

``model`` is a ``Sequential`` of ``nn.layers`` (or a list of them) or the scalar ``nn.MLP``,
whose neurons are gathered into weight matrices (each ``NeuronLayer`` becomes a Dense layer with
kernel (in, out)). The outputs agree in evaluation mode, float32.

Both exports go through one plan (``Op`` steps), so the layout work is done once: Keras keeps
images channels-last (N, H, W, C) where PyTorch's and ONNX's convolutions take (N, C, H, W). A
channels-last model therefore takes the same channels-last input everywhere: the plan permutes
to NCHW before the first convolution and back before ``Flatten``, so that Keras's (H, W, C)
flatten order, which the next Dense's weights were trained on, is kept. Keras's "same" padding
puts the odd pixel at the bottom and right; PyTorch pads symmetrically, so an explicit pad
module comes first where the two differ (ONNX takes asymmetric pads directly).

torch and onnx are optional extras (``pip install 'chainrule[torch]'``, ``'chainrule[onnx]'``),
imported only when these functions run.

The package: ``common`` (the error, the optional imports), ``plan`` (the steps both exports
read), ``torch_export``, ``onnx_export`` and ``torch_import``.
"""

from __future__ import annotations

from typing import Any

from nn.export.common import ExportError
from nn.export.onnx_export import to_onnx
from nn.export.torch_export import TORCH_CLASS_NAMES, to_torch, torch_classes
from nn.export.torch_import import from_torch

__all__ = ["ExportError", "from_torch", "to_onnx", "to_torch"]


def __getattr__(name: str) -> Any:
    """``nn.export.Permute`` and the other torch modules of ``torch_export``, made when first
    asked for: a pickled torch model finds them here."""
    if name in TORCH_CLASS_NAMES:
        return getattr(torch_classes(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
