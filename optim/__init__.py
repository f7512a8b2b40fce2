"""chainrule's optimizers and learning-rate schedules (they read ``.grad`` and write ``.data``).

Nothing is here yet: until the optimizers land, update parameters by hand,
``p.data -= learning_rate * p.grad``, which is plain gradient descent.
"""

__all__: list[str] = []
