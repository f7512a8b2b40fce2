"""chainrule's automatic differentiation: a scalar ``Value`` on one backward engine.

    from autograd import Value
    x = Value(0.5, label="x")
    y = (x * 2).tanh()
    y.backward()          # x.grad is now dy/dx
"""

from autograd.gradcheck import GradcheckResult, gradcheck
from autograd.graph import backward, enable_grad, is_grad_enabled, no_grad, topological_order
from autograd.value import Value, dot
from autograd.value import sum as sum  # not in __all__: `import *` must not shadow builtins
from autograd.viz import GraphPicture, draw_graph

__all__ = [
    "GradcheckResult",
    "GraphPicture",
    "Value",
    "backward",
    "dot",
    "draw_graph",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]
