"""Export a model to ONNX, so other runtimes (onnxruntime, a browser, a phone) can run it.

The only file that imports the ``onnx`` package, and only when :func:`export_onnx` (or
:func:`onnx_model`) is called; without it the call raises ModuleNotFoundError naming
``pip install 'synaptica[onnx]'``.

Every type of the closed layer registry (:data:`synaptica.nn.registry.LAYERS`) and each of its
containers (:data:`synaptica.nn.registry.CONTAINERS`) has an exporter in :data:`EXPORTERS`, which
appends the layer's ONNX nodes to a graph. The graph computes what ``predict`` computes, in the
model's own dtype (float32 or float64):

- the input is ``input``, (batch, features) or the shape the first layer takes, with a dynamic
  batch dimension named ``batch``; the output is ``output``, logits or probabilities as the model
  was built (nothing is added after the last layer);
- evaluation mode: BatchNorm uses its running statistics, Dropout is the identity;
- ``Linear`` is ``Gemm`` with the weight (out, in) transposed (``transB=1``), as PyTorch exports it;
  ``BayesLinear`` is the same ``Gemm`` with its mean weights μ (its evaluation-mode forward), and
  ``BayesConv2d`` a ``Conv`` with its mean kernels.
- the recurrent layers and the embedding: :mod:`synaptica.io.onnx_recurrent`.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from synaptica.extras import missing_extra
from synaptica.io.atomic import atomic_write
from synaptica.io.onnx_recurrent import export_embedding, export_gated, export_jordan
from synaptica.nn.module import Module

#: the ONNX operator set the graphs are written for
OPSET = 17

def _onnx():
    try:
        import onnx
    except ImportError as error:
        raise missing_extra("onnx", "ONNX export", "onnx") from error
    return onnx


class _Graph:
    """The nodes and weights built so far, and the per-example shape of the value being built
    (one entry per axis after the batch axis; None where it depends on the input)."""

    def __init__(self, onnx, dtype: np.dtype):
        self.onnx, self.helper = onnx, onnx.helper
        self.dtype = np.dtype(dtype)
        self.nodes: list = []
        self.initializers: list = []
        self.names: set[str] = set()

    def name(self, stem: str) -> str:
        index = 0
        while f"{stem}_{index}" in self.names:
            index += 1
        self.names.add(f"{stem}_{index}")
        return f"{stem}_{index}"

    def constant(self, stem: str, value: np.ndarray, dtype=None) -> str:
        name = self.name(stem)
        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], **attributes) -> str:
        return self.node_outputs(op, inputs, 1, **attributes)[0]

    def node_outputs(self, op: str, inputs: list[str], count: int, **attributes) -> list[str]:
        """A node with ``count`` outputs (an LSTM's Y and Y_h); returns their names."""
        outs = [self.name(op.lower()) for _ in range(count)]
        self.nodes.append(self.helper.make_node(op, inputs, outs, name=self.name(f"{op}_node"), **attributes))
        return outs


def _gemm(g: _Graph, x: str, weight, bias, out_features: int):
    """x Wᵀ + b as one Gemm node (W is (out, in), so ``transB=1``); ``bias`` may be None."""
    inputs = [x, g.constant("weight", weight.data)] + ([g.constant("bias", bias.data)] if bias is not None else [])
    return g.node("Gemm", inputs, transB=1), (out_features,)


def _linear(g: _Graph, m, x: str, shape):
    if len(shape) == 2:  # (steps, in) per example: the same map at every step
        out = g.node("MatMul", [x, g.constant("weight", m.weight.data.T.copy())])
        if m.bias is not None:
            out = g.node("Add", [out, g.constant("bias", m.bias.data)])
        return out, (shape[0], m.out_features)
    return _gemm(g, x, m.weight, m.bias, m.out_features)


def _bayes_linear(g: _Graph, m, x: str, shape):
    """A BayesLinear exports its mean weights μ: the network its evaluation-mode forward (and
    ``predict``) runs. Averaging sampled networks is left to synaptica's own predictive functions."""
    return _gemm(g, x, m.weight_mu, m.bias_mu, m.out_features)


def _rbm(g: _Graph, m, x: str, shape):
    """An RBM's inference path, p(h = 1 | v) = σ(v Wᵀ + c)."""
    z = g.node("Gemm", [x, g.constant("weight", m.weight.data), g.constant("bias", m.hidden_bias.data)], transB=1)
    return g.node("Sigmoid", [z]), (m.hidden,)


def _maxout(g: _Graph, m, x: str, shape):
    z = g.node("Gemm", [x, g.constant("weight", m.weight.data), g.constant("bias", m.bias.data)], transB=1)
    pieces = g.node("Reshape", [z, g.constant("shape", [0, m.out_features, m.pieces], np.int64)])
    return g.node("ReduceMax", [pieces], axes=[2], keepdims=0), (m.out_features,)


def _unary(op: str, **attributes):
    def export(g: _Graph, m, x: str, shape):
        return g.node(op, [x], **attributes), shape
    return export


def _leaky_relu(g: _Graph, m, x: str, shape):
    return g.node("LeakyRelu", [x], alpha=float(m.negative_slope)), shape


def _elu(g: _Graph, m, x: str, shape):
    return g.node("Elu", [x], alpha=float(m.alpha)), shape


def _softplus(g: _Graph, m, x: str, shape):
    # max(x, 0) + ln(1 + e^(−|x|)), as synaptica computes it: never overflows, in float64 too
    positive = g.node("Relu", [x])
    tail = g.node("Exp", [g.node("Neg", [g.node("Abs", [x])])])
    one = g.constant("one", 1.0)
    return g.node("Add", [positive, g.node("Log", [g.node("Add", [one, tail])])]), shape


def _channel_shape(values: np.ndarray, shape) -> np.ndarray:
    """(C,) per-channel values as (C, 1, …) so they broadcast over axis 1 of (batch, C, …)."""
    return values.reshape(len(values), *([1] * (len(shape) - 1)))


def _prelu(g: _Graph, m, x: str, shape):
    slope = m.slope.data
    if len(slope) > 1:
        slope = _channel_shape(slope, shape)
    return g.node("PRelu", [x, g.constant("slope", slope)]), shape


def _batch_norm(g: _Graph, m, x: str, shape):
    # evaluation mode: (x − running_mean) / √(running_var + ε) · γ + β
    mean = g.constant("running_mean", _channel_shape(m.running_mean, shape))
    std = np.sqrt(m.running_var + np.asarray(m.eps, m.running_var.dtype))
    centred = g.node("Sub", [x, mean])
    normalised = g.node("Div", [centred, g.constant("std", _channel_shape(std, shape))])
    scaled = g.node("Mul", [normalised, g.constant("gamma", _channel_shape(m.gamma.data, shape))])
    return g.node("Add", [scaled, g.constant("beta", _channel_shape(m.beta.data, shape))]), shape


def _identity(g: _Graph, m, x: str, shape):
    return x, shape


def _window(pair) -> list[int]:
    return [int(pair[0]), int(pair[1])]


def _after_window(shape, channels, kernel, stride, padding):
    sizes = []
    for size, k, s, p in zip(shape[1:], kernel, stride, padding):
        sizes.append(None if size is None else (size + 2 * p - k) // s + 1)
    return (channels, *sizes)


def _conv(g: _Graph, m, x: str, shape, weight=None, bias=None):
    """A Conv node; ``weight`` and ``bias`` default to the layer's own (a BayesConv2d passes its μ)."""
    weight, bias = (m.weight, m.bias) if weight is None else (weight, bias)
    inputs = [x, g.constant("weight", weight.data)] + ([g.constant("bias", bias.data)] if bias is not None else [])
    out = g.node("Conv", inputs, kernel_shape=_window(m.kernel_size), strides=_window(m.stride),
                 pads=_window(m.padding) * 2)
    return out, _after_window(shape, m.out_channels, m.kernel_size, m.stride, m.padding)


def _bayes_conv(g: _Graph, m, x: str, shape):
    """A BayesConv2d exports its mean kernels μ, as a BayesLinear its mean weights."""
    return _conv(g, m, x, shape, m.weight_mu, m.bias_mu)


def _conv_transpose(g: _Graph, m, x: str, shape):
    inputs = [x, g.constant("weight", m.weight.data)]
    if m.bias is not None:
        inputs.append(g.constant("bias", m.bias.data))
    out = g.node("ConvTranspose", inputs, kernel_shape=_window(m.kernel_size), strides=_window(m.stride),
                 pads=_window(m.padding) * 2, output_padding=_window(m.output_padding))
    sizes = m.output_shape(*[0 if size is None else size for size in shape[1:]])[1:]
    return out, (m.out_channels, *[None if size is None else out for size, out in zip(shape[1:], sizes)])


def _pool(op: str, **attributes):
    def export(g: _Graph, m, x: str, shape):
        padding = getattr(m, "padding", (0, 0))
        extra = dict(attributes)
        if op != "LpPool":
            extra["pads"] = _window(padding) * 2
        out = g.node(op, [x], kernel_shape=_window(m.kernel_size), strides=_window(m.stride), **extra)
        return out, _after_window(shape, shape[0], m.kernel_size, m.stride, padding)
    return export


def _flatten(g: _Graph, m, x: str, shape):
    size = None if None in shape else int(np.prod(shape, dtype=np.int64))
    return g.node("Flatten", [x], axis=1), (size,)


def _unflatten(g: _Graph, m, x: str, shape):
    return g.node("Reshape", [x, g.constant("shape", [0, *m.shape], np.int64)]), tuple(m.shape)


def _chain(g: _Graph, modules, x: str, shape):
    """Each module's nodes in turn, the output of one the input of the next."""
    for module in modules:
        x, shape = _export(g, module, x, shape)
    return x, shape


def _sequential(g: _Graph, m, x: str, shape):
    return _chain(g, m.layers, x, shape)


def _autoencoder(g: _Graph, m, x: str, shape):
    return _export(g, m.decoder, *_export(g, m.encoder, x, shape))


def _vae(g: _Graph, m, x: str, shape):
    # forward: σ(decoder(μ)), μ the first half of the encoder's output
    h, (units,) = _export(g, m.encoder, x, shape)
    latent = units // 2
    mu = g.node("Slice", [h, g.constant("starts", [0], np.int64), g.constant("ends", [latent], np.int64),
                          g.constant("axes", [1], np.int64)])
    logits, out_shape = _export(g, m.decoder, mu, (latent,))
    return g.node("Sigmoid", [logits]), out_shape


def _categorical_vae(g: _Graph, m, x: str, shape):
    # forward: σ(decoder(one-hot of the arg-max of each variable's logits))
    h, _ = _export(g, m.encoder, x, shape)
    logits = g.node("Reshape", [h, g.constant("shape", [0, m.variables, m.classes], np.int64)])
    best = g.node("ArgMax", [logits], axis=2, keepdims=1)
    classes = g.constant("classes", np.arange(m.classes), np.int64)
    hot = g.node("Cast", [g.node("Equal", [best, classes])], to=_elem_type(g.onnx, g.dtype))
    code = g.node("Reshape", [hot, g.constant("shape", [0, m.variables * m.classes], np.int64)])
    out, out_shape = _export(g, m.decoder, code, (m.variables * m.classes,))
    return g.node("Sigmoid", [out]), out_shape


def _char_language_model(g: _Graph, m, x: str, shape):
    """Embedding, recurrent layers, then the read-out applied at every step."""
    return _chain(g, (m.embedding, m.recurrent, m.readout), x, shape)


def _gan(g: _Graph, m, x: str, shape):
    return _export(g, m.generator, x, shape)  # the inference path: noise -> samples


def _ensemble(g: _Graph, m, x: str, shape):
    from synaptica.nn.ensemble import _gives_probabilities

    outputs = []
    for member in m.members:
        out, out_shape = _export(g, member, x, shape)
        if m.combine == "vote":
            # one vote for the arg-max class (the first on a tie, as np.argmax), as a one-hot row
            best = g.node("ArgMax", [out], axis=1, keepdims=1)
            classes = g.constant("classes", np.arange(out_shape[0]), np.int64)
            out = g.node("Cast", [g.node("Equal", [best, classes])], to=_elem_type(g.onnx, g.dtype))
        elif not _gives_probabilities(member):
            out = g.node("Softmax", [out], axis=-1)
        outputs.append(out)
    total = outputs[0] if len(outputs) == 1 else g.node("Sum", outputs)
    if m.combine == "vote":
        return g.node("Div", [total, g.constant("members", len(outputs))]), out_shape
    return g.node("Mul", [total, g.constant("share", 1.0 / len(outputs))]), out_shape


Exporter = Callable[[_Graph, Module, str, tuple], tuple[str, tuple]]

#: type name (as a saved architecture names it) -> the function that appends that layer's nodes
EXPORTERS: dict[str, Exporter] = {
    "Linear": _linear, "Sigmoid": _unary("Sigmoid"), "Tanh": _unary("Tanh"), "ReLU": _unary("Relu"),
    "Softmax": _unary("Softmax", axis=-1), "LeakyReLU": _leaky_relu, "ELU": _elu, "Softplus": _softplus,
    "Conv2d": _conv, "ConvTranspose2d": _conv_transpose, "MaxPool2d": _pool("MaxPool"), "AvgPool2d": _pool("AveragePool", count_include_pad=1),
    "L2Pool2d": _pool("LpPool", p=2), "Flatten": _flatten, "Unflatten": _unflatten, "Dropout": _identity,
    "BatchNorm1d": _batch_norm, "BatchNorm2d": _batch_norm, "PReLU": _prelu, "Maxout": _maxout,
    "BayesLinear": _bayes_linear, "BayesConv2d": _bayes_conv,
    "RBM": _rbm,
    "Sequential": _sequential, "Ensemble": _ensemble, "Autoencoder": _autoencoder,
    "VAE": _vae, "CategoricalVAE": _categorical_vae,
    "RNN": export_gated, "LSTM": export_gated, "GRU": export_gated, "Jordan": export_jordan,
    "Embedding": export_embedding, "CharLanguageModel": _char_language_model,


    "GAN": _gan,
}


def _export(g: _Graph, module: Module, x: str, shape: tuple) -> tuple[str, tuple]:
    name = type(module).__name__
    if name not in EXPORTERS or _registered_class(name) is not type(module):
        raise ValueError(f"ONNX export: {type(module).__qualname__} is not a layer of synaptica's registry; "
                         f"exportable types: {sorted(EXPORTERS)}")
    return EXPORTERS[name](g, module, x, shape)


def _registered_class(name: str) -> type:
    from synaptica.nn.registry import CONTAINERS, LAYERS, MODEL_LAYERS

    if name in LAYERS:
        return LAYERS[name].cls
    return MODEL_LAYERS[name]() if name in MODEL_LAYERS else CONTAINERS[name]()


def _elem_type(onnx, dtype: np.dtype) -> int:
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def input_shape(model: Module) -> tuple:
    """The per-example input shape the model's first layer takes (None where any size fits)."""
    from synaptica.nn.containers import Sequential
    from synaptica.nn.ensemble import Ensemble

    first = model
    while True:
        if isinstance(first, Sequential) and first.layers:
            first = first.layers[0]
        elif isinstance(first, Ensemble):
            first = first.members[0]
        elif hasattr(first, "encoder"):
            first = first.encoder
        elif hasattr(first, "embedding"):
            first = first.embedding


        elif hasattr(first, "generator") and hasattr(first, "discriminator"):
            first = first.generator
        else:
            break
    if hasattr(first, "hidden_size"):  # a recurrent layer: (time, features), any number of steps
        return (None, first.input_size)
    if type(first).__name__ == "Embedding":
        return (None,)
    if hasattr(first, "in_features"):
        return (first.in_features,)
    if type(first).__name__ == "Unflatten":
        return (int(np.prod(first.shape)),)
    if hasattr(first, "in_channels"):
        return (first.in_channels, None, None)
    if type(first).__name__ == "BatchNorm2d":
        return (first.features, None, None)
    if type(first).__name__ == "BatchNorm1d":
        return (first.features,)
    raise ValueError(f"ONNX export: cannot tell the input size of a model that starts with {first!r}; "
                     "start it with a Linear, Maxout, Conv2d, BatchNorm or Unflatten layer")


def _dims(shape: tuple) -> list:
    """An ONNX shape: the dynamic ``batch`` axis, then the sizes (named where they depend on the input)."""
    return ["batch", *[size if size is not None else f"axis{i + 1}" for i, size in enumerate(shape)]]


def model_dtype(model: Module) -> np.dtype:
    """The dtype of the model's parameters and buffers (float32 when it holds none)."""
    dtypes = {p.data.dtype for p in model.parameters()}
    return dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float32)


def onnx_model(model: Module, name: str = "synaptica"):
    """``model`` as an ``onnx.ModelProto`` (checked with ``onnx.checker.check_model``)."""
    onnx = _onnx()
    helper = onnx.helper
    dtype = model_dtype(model)
    shape = input_shape(model)
    g = _Graph(onnx, dtype)
    g.names.add("input")
    out, out_shape = _export(g, model, "input", shape)
    g.nodes.append(helper.make_node("Identity", [out], ["output"], name="output_node"))
    elem = _elem_type(onnx, dtype)
    graph = helper.make_graph(g.nodes, name, [helper.make_tensor_value_info("input", elem, _dims(shape))],
                              [helper.make_tensor_value_info("output", elem, _dims(out_shape))], g.initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="synaptica")
    proto.ir_version = 8  # readable by onnxruntime 1.14 and later
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model: Module, path: str | os.PathLike, name: str = "synaptica") -> None:
    """Write ``model`` to ``path`` as an ONNX file, whole or not at all (:func:`atomic_write`)."""
    proto = onnx_model(model, name)
    data = proto.SerializeToString()
    with atomic_write(path) as f:
        f.write(data)
