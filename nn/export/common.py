"""What every part of the export shares: the error it raises, torch and onnx imported only when
needed (each an optional extra), and weights as contiguous float32 arrays."""

from __future__ import annotations

from typing import Any

import numpy as np


class ExportError(ValueError):
    """A layer or module with no equivalent on the other side, named with its index."""


def import_torch(caller: str) -> Any:
    """torch, or an ImportError that names the extra to install."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            f"{caller} needs PyTorch, an optional extra of chainrule: "
            f"pip install 'chainrule[torch]' (it pins torch==2.13.0, the CPU build) ({error})"
        ) from error
    return torch


def import_onnx(caller: str) -> Any:
    """onnx, or an ImportError that names the extra to install."""
    try:
        import onnx
        import onnx.checker
        import onnx.helper
        import onnx.numpy_helper
    except ImportError as error:
        raise ImportError(
            f"{caller} needs the onnx package, an optional extra of chainrule: "
            f"pip install 'chainrule[onnx]' ({error})"
        ) from error
    return onnx


def float32(array: Any) -> np.ndarray:
    """``array`` as a C-contiguous float32 array, the form torch and ONNX weights take."""
    return np.ascontiguousarray(np.asarray(array, dtype=np.float32))
