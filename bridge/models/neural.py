"""The PyTorch networks, built from config dataclasses.

``build_network`` takes plain arguments (``model_args``) so a checkpoint can
store them beside the weights and rebuild the same network from the file
alone, as nanoGPT's checkpoints do.
"""

from __future__ import annotations

from dataclasses import asdict

import torch
import torch.nn.functional as F
from torch import nn

from bridge.config import CNNConfig, MLPConfig, TextConfig
from bridge.errors import BridgeError


class MLP(nn.Module):
    """Linear -> ReLU -> Dropout, ``hidden_layers`` times, then a linear head.

    With zero hidden layers this is logistic (or linear) regression written in
    PyTorch: the hidden layers are where it learns its own representation.
    """

    def __init__(self, in_features: int, n_outputs: int, config: MLPConfig):
        super().__init__()
        if not 0 <= config.hidden_layers <= 10 or config.width < 1 or not 0 <= config.dropout < 1:
            raise BridgeError("the MLP needs 0-10 hidden layers, a width of at least 1 and dropout in [0, 1)")
        layers: list[nn.Module] = []
        width_in = in_features
        for _ in range(config.hidden_layers):
            layers += [nn.Linear(width_in, config.width), nn.ReLU()]
            if config.dropout > 0:  # a no-op layer still costs a call per step
                layers.append(nn.Dropout(config.dropout))
            width_in = config.width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width_in, n_outputs)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer: the representation the network learned.

        Same maths as ``self.body(x)``, but linear and ReLU layers are applied as functions: on batches
        of 64 rows, the Python bookkeeping of a module call is about a tenth of a training step
        (``python -m benchmarks.bench``). Dropout keeps its module call, which knows train from eval.
        The exported train_pytorch.py keeps the plain version.
        """
        for layer in self.body:
            if isinstance(layer, nn.Linear):
                x = F.linear(x, layer.weight, layer.bias)
            elif isinstance(layer, nn.ReLU):
                x = F.relu(x)
            else:
                x = layer(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(self.features(x), self.head.weight, self.head.bias)


def model_args(kind: str, input_shape: tuple[int, ...], n_outputs: int, config: MLPConfig | CNNConfig,
               text: TextConfig | None = None, layout: dict | None = None) -> dict:
    """Everything needed to rebuild the network: plain types only, so ``weights_only`` loading works.

    The text network also keeps its ``TextConfig`` and its input layout (text columns, tokens each, vocabulary, table features)."""
    args = {"kind": kind, "input_shape": list(input_shape), "n_outputs": n_outputs, "config": asdict(config)}
    if kind == "text":
        if text is None or layout is None:
            raise BridgeError("the text network needs its TextConfig and the layout of its input")
        args.update(text=asdict(text), layout={key: int(value) for key, value in layout.items()})
    return args


def build_network(args: dict) -> nn.Module:
    shape, n_outputs = args["input_shape"], args["n_outputs"]
    if args["kind"] == "mlp":
        in_features = 1
        for size in shape:
            in_features *= size
        network = MLP(in_features, n_outputs, MLPConfig(**args["config"]))
        return nn.Sequential(nn.Flatten(), network) if len(shape) > 1 else network
    if args["kind"] == "cnn":
        from bridge.models.cnn import CNN

        return CNN(shape[0], shape[-1], n_outputs, CNNConfig(**args["config"]))
    if args["kind"] == "text":
        from bridge.models.text_net import TextNet

        return TextNet(args["layout"], n_outputs, TextConfig(**args["text"]), MLPConfig(**args["config"]))
    raise BridgeError(f"unknown network '{args['kind']}'; use mlp, cnn or text")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
