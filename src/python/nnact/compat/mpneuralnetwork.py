"""mpneuralnetwork's activations (seed 002) on the device.

    from nnact.compat.mpneuralnetwork import ReLU, PReLU, Swish, Softmax

forward(input_batch, training=True) keeps self.input and returns the
output; backward(output_gradient_batch) returns the input gradient; params
is {} (activations have no trainable parameters; PReLU's alpha is fixed, as
in mpneuralnetwork). Quirks kept:
  * PReLU(alpha).forward is max(alpha x, x) (for alpha > 1 that is alpha x
    above 0 and x below), its derivative where(x < 0, alpha, 1): an input of
    exactly 0 gets gradient 1 (nnact's prelu' gives alpha there; NumPy
    inputs are fixed up on the host, Tensor inputs keep nnact's alpha);
  * Softmax(temperature, epsilon) divides the logits by temperature +
    epsilon, forward and backward.
"""
import numpy as np

from .. import ops
from ..tensor import Tensor
from . import _common


class Activation:
    """Base of the activations: forward/backward by an nnact activation."""

    act = "identity"
    alpha = None

    def forward(self, input_batch, training=True):
        self.input = input_batch
        self._output = _common.forward(input_batch, self.act, alpha=self.alpha)
        return self._output

    def backward(self, output_gradient_batch):
        # sigmoid and tanh take the derivative from the cached output
        return _common.by_needs(self.act, output_gradient_batch, self.input, self._output,
                                self.alpha)

    @property
    def params(self):
        return {}

    def get_config(self):
        return {"type": type(self).__name__}


class ReLU(Activation):
    act = "relu"


class Swish(Activation):
    act = "swish"


class Tanh(Activation):
    act = "tanh"


class Sigmoid(Activation):
    act = "sigmoid"


class PReLU(Activation):
    act = "prelu"

    def __init__(self, alpha=0.01):
        self.alpha = float(alpha)

    def forward(self, input_batch, training=True):
        self.input = input_batch
        if self.alpha <= 1.0:
            return _common.forward(input_batch, "prelu", alpha=self.alpha)
        # max(alpha x, x) with alpha > 1: alpha * prelu_(1/alpha)(x)
        y = _common.forward(input_batch, "prelu", alpha=1.0 / self.alpha)
        if isinstance(y, Tensor):
            raise ValueError("PReLU with alpha > 1 (max(alpha x, x)) runs on NumPy input "
                             "only; nnact's prelu takes a slope in [0, 1] on Tensors")
        return y * y.dtype.type(self.alpha)

    def backward(self, output_gradient_batch):
        g = _common.backward("prelu", output_gradient_batch, x=self.input, alpha=self.alpha)
        if isinstance(g, Tensor):
            return g
        x = np.asarray(self.input)
        zero = x == 0
        if zero.any():  # the seed's where(x < 0, alpha, 1): 1 at exactly 0
            g = np.where(zero, np.asarray(output_gradient_batch, dtype=g.dtype), g)
        return g

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha})
        return config


class Softmax:
    """exp(x_i / (T + eps)) / sum_j exp(x_j / (T + eps)), row-wise."""

    def __init__(self, temperature=1.0, epsilon=1e-8):
        self.temperature = float(temperature)
        self.epsilon = float(epsilon)

    def forward(self, input_batch, training=True):
        self.output = _common.forward(input_batch, "softmax",
                                      temperature=self.temperature + self.epsilon)
        return self.output

    def backward(self, output_gradient_batch):
        return _common.backward("softmax", output_gradient_batch, y=self.output,
                                temperature=self.temperature + self.epsilon)

    @property
    def params(self):
        return {}

    def get_config(self):
        return {"type": "Softmax", "temperature": self.temperature, "epsilon": self.epsilon}
