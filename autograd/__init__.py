"""chainrule's automatic differentiation: a scalar ``Value`` and a numpy ``Tensor`` on one engine.

    from autograd import Value
    x = Value(0.5, label="x")
    y = (x * 2).tanh()
    y.backward()          # x.grad is now dy/dx
"""

from autograd import tensor_ops
from autograd.conv import avg_pool2d, conv2d, dropout, max_pool2d, pad
from autograd.explain import Explanation, explain
from autograd.gradcheck import GradcheckResult, gradcheck
from autograd.graph import backward, enable_grad, is_grad_enabled, no_grad, topological_order
from autograd.tensor import Tensor
from autograd.tensor_ops import concatenate, maximum, minimum, one_hot, split, stack, where
from autograd.value import Value, dot
from autograd.value import sum as sum  # not in __all__: `import *` must not shadow builtins
from autograd.viz import GraphPicture, draw_graph

__all__ = [
    "Explanation",
    "GradcheckResult",
    "GraphPicture",
    "Tensor",
    "Value",
    "avg_pool2d",
    "backward",
    "concatenate",
    "conv2d",
    "dot",
    "draw_graph",
    "dropout",
    "enable_grad",
    "explain",
    "gradcheck",
    "is_grad_enabled",
    "max_pool2d",
    "maximum",
    "minimum",
    "no_grad",
    "one_hot",
    "pad",
    "split",
    "stack",
    "tensor_ops",
    "topological_order",
    "where",
]
