"""The NumPy "from scratch" libraries' own APIs on libnnact-cl.

    from nnact.compat import activations      # seed 001's `activations` module
    from nnact.compat import nnfs              # nnfs's Dense, Sigmoid, Softmax, ...
    from nnact.compat import vanillanets       # VanillaNets' activations
    from nnact.compat import mpneuralnetwork   # mpneuralnetwork's activations

Same names, same semantics, quirks kept (each module's docstring lists
them). NumPy in, NumPy out in the input's float dtype (float32 arithmetic
on the device: a float64 input is rounded to float32 once); given
nnact.Tensors they return Tensors and stay on the device. They run on the
default context (NNACT_DEVICE; nnact.set_default_context changes it).
"""
