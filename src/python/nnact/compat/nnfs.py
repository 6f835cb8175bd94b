"""nnfs's layers and activations (seeds 000 and 003) on the device.

    from nnact.compat.nnfs import Dense, Sigmoid, Softmax

Dense keeps W, b (host NumPy arrays, the source of truth: nnfs optimizers
update them in place through `trainable`) and uploads them per call; the
products run on the device. W starts as 0.01 * randn(in, out) (float64,
as nnfs's np.random.randn gives) and b as zeros((1, out)). Activations
cache `output`; backward(grad_next) returns dL/dinput (Softmax: the full
vector-Jacobian product y * (g - sum(y * g))).
"""
from abc import ABC, abstractmethod

import numpy as np

from . import _common


class BaseLayer(ABC):
    """A layer: `trainable` lists (name, param, grad); `name` is
    "<layer_name>.<index>"."""

    layer_name = "layer"

    def __init__(self):
        self.index = 0

    @property
    def name(self):
        return "%s.%d" % (self.layer_name, self.index)

    @property
    def trainable(self):
        return []

    @abstractmethod
    def forward(self, X_input):
        ...

    @abstractmethod
    def backward(self, grad_next):
        ...


class Dense(BaseLayer):
    """A fully connected layer: X_input @ W + b."""

    layer_name = "dense"

    def __init__(self, input_size, output_size):
        super().__init__()
        self.input_size, self.output_size = int(input_size), int(output_size)
        self.W = 0.01 * np.random.randn(self.input_size, self.output_size)
        self.b = np.zeros((1, self.output_size))
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.X_input = None

    @property
    def trainable(self):
        return [("W", self.W, self.dW), ("b", self.b, self.db)]

    def forward(self, X_input):
        self.X_input = X_input
        return _common.dense_forward(X_input, self.W, self.b)

    def backward(self, grad_next):
        dW, db, dx = _common.dense_backward(np.asarray(self.X_input), self.W, grad_next)
        # in place, so references taken through `trainable` stay valid
        self.dW[...] = dW
        self.db[...] = db
        return dx


class BaseActivation(BaseLayer):
    """An activation layer (no trainable parameters)."""

    act = "identity"

    def forward(self, X_input):
        self.X_input = X_input
        self.output = _common.forward(X_input, self.act)
        return self.output

    def backward(self, grad_next):
        return _common.by_needs(self.act, grad_next, self.X_input, self.output)


def _activation(cls_name, act_name):
    return type(cls_name, (BaseActivation,), {
        "act": act_name, "layer_name": act_name,
        "__doc__": "%s activation layer (nnact's %r)." % (cls_name, act_name)})


Sigmoid = _activation("Sigmoid", "sigmoid")
Softmax = _activation("Softmax", "softmax")
ReLU = _activation("ReLU", "relu")
Tanh = _activation("Tanh", "tanh")
LeakyReLU = _activation("LeakyReLU", "leaky_relu")
Swish = _activation("Swish", "swish")
ELU = _activation("ELU", "elu")
SELU = _activation("SELU", "selu")
GELU = _activation("GELU", "gelu")
Softplus = _activation("Softplus", "softplus")
Mish = _activation("Mish", "mish")
Softsign = _activation("Softsign", "softsign")
HardSigmoid = _activation("HardSigmoid", "hardsigmoid")
HardSwish = _activation("HardSwish", "hardswish")
ReLU6 = _activation("ReLU6", "relu6")
Linear = _activation("Linear", "identity")
LogSoftmax = _activation("LogSoftmax", "log_softmax")
