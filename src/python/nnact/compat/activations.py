"""Seed 001's `activations` module on the device.

    from nnact.compat.activations import sigmoid, relu, softmax

Quirks kept from the seed:
  * activation_backward(z, a, name) returns f'(z) itself, not dy * f'(z);
  * the softmax "backward" returns np.ones_like(a): the seed assumes softmax
    is fused with the cross-entropy loss, whose gradient already holds the
    Jacobian (log_softmax, fused with NLL, likewise);
  * sigmoid clips its input to [-500, 500]: on the device the sigmoid is
    accurate over the whole float range, so the clip changes nothing there.
Beyond the seed: every activation name the library knows is accepted by
activation_forward/backward and listed in ACTIVATIONS.
"""
import numpy as np

from .. import ops
from ..model import MLP
from . import _common

# The seed's guard against dividing by zero in softmax. The device softmax
# does not need it (after the max subtraction every row sum is >= 1); kept
# for code that imports it.
EPS = 1e-12


def sigmoid(x):
    """1 / (1 + e^-x), elementwise."""
    return _common.forward(x, "sigmoid")


def relu(x):
    """max(0, x), elementwise."""
    return _common.forward(x, "relu")


def softmax(x):
    """Row-wise softmax (rows along the last axis), max-subtracted."""
    return _common.forward(x, "softmax")


def sigmoid_derivative_from_activation(activated):
    """sigma * (1 - sigma) from the activated output."""
    return _common.backward("sigmoid", y=activated)


def relu_derivative_from_pre_activation(z):
    """1 where z > 0, else 0."""
    return _common.backward("relu", x=z)


def activation_forward(x, name):
    """Applies the named activation ("sigmoid", "relu", "softmax", or any
    name nnact knows: "tanh", "gelu", "leaky_relu", ...)."""
    return _common.forward(x, name)


def activation_backward(z, a, name):
    """f'(z) for the named activation (the seed's semantics: no upstream
    gradient); ones for softmax and log_softmax (fused with the loss)."""
    act = ops.act(name)
    if act.row_wise:
        return _common.ones_like(a)
    if act.needs == "y":
        return _common.backward(act.name, y=a)
    if act.needs == "none":
        return _common.ones_like(z)
    return _common.backward(act.name, x=z)


def _entry(name):
    return {"forward": lambda x: activation_forward(x, name),
            "backward": lambda z, a: activation_backward(z, a, name)}


ACTIVATIONS = {name: _entry(name) for name in ops.activation_names()}
ACTIVATIONS["sigmoid"] = {"forward": sigmoid,
                          "backward": lambda z, a: sigmoid_derivative_from_activation(a)}
ACTIVATIONS["relu"] = {"forward": relu,
                       "backward": lambda z, a: relu_derivative_from_pre_activation(z)}
ACTIVATIONS["softmax"] = {"forward": softmax, "backward": lambda z, a: np.ones_like(a)}


class NeuralNetworkModel:
    """The seed's model: dense layers with the given activations.

    NeuralNetworkModel(layer_sizes=[784, 128, 64, 10],
                       activations=['relu', 'relu', 'softmax']).forward(X)
    runs the whole network on the device (an nnact.MLP, seed 0: He uniform
    before relu-like activations, Glorot uniform otherwise, zero biases)."""

    def __init__(self, layer_sizes, activations, seed=0, ctx=None):
        self.layer_sizes = list(layer_sizes)
        self.activations = list(activations)
        self.mlp = MLP(self.layer_sizes, self.activations, seed=seed, ctx=ctx)

    def forward(self, X):
        return self.mlp.forward(X)
