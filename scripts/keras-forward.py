#!/usr/bin/python3
"""An independent forward pass of a Keras model file in numpy, for tests of cnnx's Keras reader.

Run with Debian's Python (python3-numpy, python3-h5py):

    /usr/bin/python3 scripts/keras-forward.py MODEL INPUTS OUTPUTS

MODEL is a legacy HDF5 file (Keras 2.x, tf.keras 2.x or Keras 3's legacy writer) or a Keras 3 .keras zip.
INPUTS holds float32 values in the model's own input shape (batch first, C order); the batch size is
whatever the file length gives. OUTPUTS receives the model's output as float32, batch first.

It shares nothing with cnnx: it reads the architecture from the file's own config and the weights with
h5py (by their names in legacy files; by Keras 3's per-class folders and Keras's variable order in .keras
files) and computes every layer in float64 with TensorFlow's padding rules. A layer it does not know
stops it with exit 2.
"""
import io
import json
import re
import sys
import zipfile

import h5py
import numpy as np


def snake_case(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def text(value):
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def string_list(group, name):
    if name in group.attrs:
        values = group.attrs[name]
    else:
        values, index = [], 0
        while f"{name}{index}" in group.attrs:
            values.extend(group.attrs[f"{name}{index}"])
            index += 1
    return [text(value) for value in np.atleast_1d(values)] if len(values) else []


# The variables each layer class creates, in Keras's creation order (trainable ones first).
def variable_names(class_name, config):
    bias = ["bias"] if config.get("use_bias", True) else []
    if class_name in ("Conv2D", "Dense", "Conv2DTranspose"):
        return ["kernel"] + bias
    if class_name == "DepthwiseConv2D":
        return ["depthwise_kernel"] + bias
    if class_name == "SeparableConv2D":
        return ["depthwise_kernel", "pointwise_kernel"] + bias
    if class_name == "BatchNormalization":
        return (["gamma"] if config.get("scale", True) else []) + (["beta"] if config.get("center", True) else []) + [
            "moving_mean",
            "moving_variance",
        ]
    if class_name == "LayerNormalization":
        return (["gamma"] if config.get("scale", True) else []) + (["beta"] if config.get("center", True) else [])
    if class_name == "PReLU":
        return ["alpha"]
    return []


def legacy_weights(root, layer_name, class_name, config):
    group = root["model_weights"].get(layer_name)
    if group is None:
        return {}
    found = {}
    for name in string_list(group, "weight_names"):
        short = name.split("/")[-1].split(":")[0]
        found[short] = np.asarray(group[name], dtype=np.float64)
    return found


class Keras3Weights:
    def __init__(self, root):
        self.root = root
        self.used = {}

    def __call__(self, layer_name, class_name, config):
        base = snake_case(class_name)
        if base in self.used:
            self.used[base] += 1
            folder = f"{base}_{self.used[base]}"
        else:
            self.used[base] = 0
            folder = base
        group = self.root.get(f"layers/{folder}/vars")
        names = variable_names(class_name, config)
        if group is None:
            return {}
        return {name: np.asarray(group[str(index)], dtype=np.float64) for index, name in enumerate(names)}


def pair(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value, value)


def same_padding(size, kernel, stride, dilation=1):
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def pad_spatial(x, config, kernel, strides, dilation=(1, 1), value=0.0):
    if config.get("padding", "valid") != "same":
        return x
    top, bottom = same_padding(x.shape[1], kernel[0], strides[0], dilation[0])
    left, right = same_padding(x.shape[2], kernel[1], strides[1], dilation[1])
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def windows(x, kernel, strides, dilation=(1, 1)):
    """x: N×H×W×C → N×OH×OW×KH×KW×C views."""
    n, h, w, c = x.shape
    eh, ew = (kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1
    oh, ow = (h - eh) // strides[0] + 1, (w - ew) // strides[1] + 1
    sn, sh, sw, sc = x.strides
    return np.lib.stride_tricks.as_strided(
        x,
        shape=(n, oh, ow, kernel[0], kernel[1], c),
        strides=(sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1], sc),
        writeable=False,
    )


def channels_last(config):
    if config.get("data_format", "channels_last") not in (None, "channels_last"):
        sys.exit(f"keras-forward: data_format {config['data_format']} is not supported")


def conv2d(x, kernel, config):
    channels_last(config)
    strides, dilation = pair(config.get("strides", 1)), pair(config.get("dilation_rate", 1))
    size = kernel.shape[:2]
    x = pad_spatial(x, config, size, strides, dilation)
    return np.einsum("nhwijc,ijcf->nhwf", windows(x, size, strides, dilation), kernel)


def depthwise(x, kernel, config):
    channels_last(config)
    strides, dilation = pair(config.get("strides", 1)), pair(config.get("dilation_rate", 1))
    size = kernel.shape[:2]
    x = pad_spatial(x, config, size, strides, dilation)
    out = np.einsum("nhwijc,ijcm->nhwcm", windows(x, size, strides, dilation), kernel)
    return out.reshape(out.shape[0], out.shape[1], out.shape[2], -1)


def pool(x, config, reduce):
    channels_last(config)
    size = pair(config.get("pool_size", 2))
    strides = pair(config.get("strides") or size)
    if config.get("padding", "valid") == "same" and reduce == "max":
        x = pad_spatial(x, config, size, strides, value=-np.inf)
        return windows(x, size, strides).max(axis=(3, 4))
    if config.get("padding", "valid") == "same":
        ones = pad_spatial(np.ones_like(x), config, size, strides)
        x = pad_spatial(x, config, size, strides)
        return windows(x, size, strides).sum(axis=(3, 4)) / windows(ones, size, strides).sum(axis=(3, 4))
    view = windows(x, size, strides)
    return view.max(axis=(3, 4)) if reduce == "max" else view.mean(axis=(3, 4))


def activation(x, name):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "relu6":
        return np.clip(x, 0, 6)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name == "elu":
        return np.where(x > 0, x, np.expm1(x))
    if name == "selu":
        return 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))
    if name == "softplus":
        return np.logaddexp(0, x)
    if name == "softsign":
        return x / (1 + np.abs(x))
    if name in ("swish", "silu"):
        return x / (1 + np.exp(-x))
    if name == "mish":
        return x * np.tanh(np.logaddexp(0, x))
    sys.exit(f"keras-forward: activation {name} is not supported")


def normalize_axes(axis, rank):
    axes = axis if isinstance(axis, list) else [axis]
    return tuple(a % rank for a in axes)


def layer_forward(class_name, config, inputs, weights):
    x = inputs[0]
    if class_name == "InputLayer":
        return x
    if class_name in ("Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout"):
        return x
    if class_name == "Reshape":
        return x.reshape((x.shape[0], *config["target_shape"]))
    if class_name == "Flatten":
        return x.reshape(x.shape[0], -1)
    if class_name == "Permute":
        return np.transpose(x, (0, *config["dims"]))
    if class_name == "Activation":
        return activation(x, config["activation"])
    if class_name == "Softmax":
        axis = config.get("axis", -1)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)
    if class_name == "ReLU":
        y = np.maximum(x, 0)
        return y if config.get("max_value") is None else np.minimum(y, config["max_value"])
    if class_name == "LeakyReLU":
        slope = config.get("negative_slope", config.get("alpha", 0.3))
        return np.where(x > 0, x, slope * x)
    if class_name == "ELU":
        return np.where(x > 0, x, config.get("alpha", 1.0) * np.expm1(x))
    if class_name == "PReLU":
        return np.where(x > 0, x, weights["alpha"] * x)
    if class_name == "Rescaling":
        return x * config["scale"] + config.get("offset", 0.0)
    if class_name == "Dense":
        y = x @ weights["kernel"] + weights.get("bias", 0)
        return activation(y, config.get("activation"))
    if class_name == "Conv2D":
        y = conv2d(x, weights["kernel"], config) + weights.get("bias", 0)
        return activation(y, config.get("activation"))
    if class_name == "DepthwiseConv2D":
        y = depthwise(x, weights["depthwise_kernel"], config) + weights.get("bias", 0)
        return activation(y, config.get("activation"))
    if class_name == "SeparableConv2D":
        y = depthwise(x, weights["depthwise_kernel"], config)
        y = np.einsum("nhwc,cf->nhwf", y, weights["pointwise_kernel"][0, 0]) + weights.get("bias", 0)
        return activation(y, config.get("activation"))
    if class_name == "MaxPooling2D":
        return pool(x, config, "max")
    if class_name == "AveragePooling2D":
        return pool(x, config, "mean")
    if class_name == "GlobalAveragePooling2D":
        return x.mean(axis=(1, 2), keepdims=bool(config.get("keepdims", False)))
    if class_name == "GlobalMaxPooling2D":
        return x.max(axis=(1, 2), keepdims=bool(config.get("keepdims", False)))
    if class_name == "BatchNormalization":
        axis = normalize_axes(config.get("axis", -1), x.ndim)[0]
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        gamma = weights.get("gamma", np.ones(x.shape[axis]))
        beta = weights.get("beta", np.zeros(x.shape[axis]))
        scale = gamma / np.sqrt(weights["moving_variance"] + config.get("epsilon", 1e-3))
        return (x - weights["moving_mean"].reshape(shape)) * np.reshape(scale, shape) + np.reshape(beta, shape)
    if class_name == "LayerNormalization":
        axes = normalize_axes(config.get("axis", -1), x.ndim)
        mean = x.mean(axis=axes, keepdims=True)
        variance = x.var(axis=axes, keepdims=True)
        y = (x - mean) / np.sqrt(variance + config.get("epsilon", 1e-3))
        return y * weights.get("gamma", 1.0) + weights.get("beta", 0.0)
    if class_name == "ZeroPadding2D":
        padding = config["padding"]
        (top, bottom), (left, right) = [pair(p) for p in (padding if isinstance(padding, list) else [padding] * 2)]
        return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    if class_name == "Cropping2D":
        cropping = config["cropping"]
        (top, bottom), (left, right) = [pair(p) for p in (cropping if isinstance(cropping, list) else [cropping] * 2)]
        return x[:, top : x.shape[1] - bottom, left : x.shape[2] - right, :]
    if class_name == "UpSampling2D":
        if config.get("interpolation", "nearest") != "nearest":
            sys.exit("keras-forward: only nearest UpSampling2D is supported")
        rows, cols = pair(config.get("size", 2))
        return x.repeat(rows, axis=1).repeat(cols, axis=2)
    if class_name == "Add":
        return sum(inputs)
    if class_name == "Multiply":
        return np.prod(inputs, axis=0)
    if class_name == "Average":
        return sum(inputs) / len(inputs)
    if class_name == "Maximum":
        return np.maximum.reduce(inputs)
    if class_name == "Minimum":
        return np.minimum.reduce(inputs)
    if class_name == "Concatenate":
        return np.concatenate(inputs, axis=config.get("axis", -1))
    sys.exit(f"keras-forward: layer class {class_name} is not supported")


def inbound_names(layer):
    """The (layer, node, tensor) triples feeding a functional layer's first call, Keras 2 or 3."""
    nodes = layer.get("inbound_nodes") or []
    if not nodes:
        return []
    node = nodes[0]
    if isinstance(node, dict):
        found = []

        def collect(value):
            if isinstance(value, list):
                for item in value:
                    collect(item)
            elif isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
                found.append(tuple(value["config"]["keras_history"][:3]))

        collect(node.get("args", []))
        return found
    return [tuple(entry[:3]) for entry in node]


def endpoints(value):
    return [value] if value and isinstance(value[0], str) else value


def forward(model_config, weights_for, x):
    config = model_config["config"]
    layers = config if isinstance(config, list) else config["layers"]
    if model_config["class_name"] == "Sequential":
        for layer in layers:
            c = layer["config"]
            x = layer_forward(layer["class_name"], c, [x], weights_for(c["name"], layer["class_name"], c))
        return x
    values = {}
    for layer in layers:
        c = layer["config"]
        name = layer.get("name", c["name"])
        sources = inbound_names(layer)
        inputs = [values[source[0]] for source in sources] if sources else [x]
        values[name] = layer_forward(layer["class_name"], c, inputs, weights_for(name, layer["class_name"], c))
    output = endpoints(config["output_layers"])
    return values[output[0][0]]


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    model_path, inputs_path, outputs_path = sys.argv[1:]
    with open(model_path, "rb") as handle:
        data = handle.read()
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            model_config = json.loads(archive.read("config.json"))
            weights_file = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        weights_for = Keras3Weights(weights_file)
    else:
        weights_file = h5py.File(io.BytesIO(data), "r")
        model_config = json.loads(text(weights_file.attrs["model_config"]))
        weights_for = lambda name, class_name, config: legacy_weights(weights_file, name, class_name, config)  # noqa: E731
    config = model_config["config"]
    layers = config if isinstance(config, list) else config["layers"]
    first = layers[0]["config"]
    shape = first.get("batch_input_shape") or first.get("batch_shape")
    if shape is None:
        shape = config.get("build_input_shape")
    x = np.fromfile(inputs_path, dtype=np.float32).astype(np.float64)
    x = x.reshape((-1, *shape[1:]))
    y = forward(model_config, weights_for, x)
    np.asarray(y, dtype=np.float32).tofile(outputs_path)


if __name__ == "__main__":
    main()
