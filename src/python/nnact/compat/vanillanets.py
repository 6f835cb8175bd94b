"""VanillaNets' activations (seed 004) on the device.

    from nnact.compat.vanillanets import ReLU, LeakyReLU, Softmax

forward(inputs) sets self.inputs and self.output (and returns nothing, as
VanillaNets does); backward(dvalues) sets self.dinputs. Quirks kept:
LeakyReLU's slope is 0.1 (hard-coded, not nnact's 0.01 default); the ReLU
and LeakyReLU masks are `inputs <= 0` (an input of exactly 0 gets no
gradient, or 0.1 of it); Softmax's backward is the full per-row
vector-Jacobian product (computed in O(cols) per row, not with the seed's
O(cols^2) Jacobian; the same values).
"""
from . import _common


class _Activation:
    act = "identity"
    alpha = None

    def forward(self, inputs):
        self.inputs = inputs
        self.output = _common.forward(inputs, self.act, alpha=self.alpha)

    def backward(self, dvalues):
        self.dinputs = _common.by_needs(self.act, dvalues, self.inputs, self.output,
                                        self.alpha)
        if self.dinputs is dvalues:
            self.dinputs = dvalues.copy()


class Linear(_Activation):
    """output = inputs; dinputs = dvalues.copy()."""

    def forward(self, inputs):
        self.inputs = inputs
        self.output = inputs


class ReLU(_Activation):
    act = "relu"


class LeakyReLU(_Activation):
    act = "leaky_relu"
    alpha = 0.1


class Sigmoid(_Activation):
    act = "sigmoid"


class Tanh(_Activation):
    act = "tanh"


class Softmax(_Activation):
    act = "softmax"
