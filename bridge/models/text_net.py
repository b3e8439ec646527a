"""The PyTorch network for text: it learns a vector for every word, then reads the texts through them.

This is where the bridge shows for text. A linear model on TF-IDF weighs words it was given as counts; this
network starts from random word vectors and moves them, with the rest of its weights, by backpropagation, so
words that predict the same thing end up near each other (the Bridge note page shows their neighbours).

Its input is one float32 row per example, as every Bridge network takes: the word ids of each text column
(``max_tokens`` per column, 0 for padding; ``bridge.problem.text``) then the table's other features, scaled.
Ids ride in float32, which holds every integer up to 2**24 exactly (the vocabulary is capped far below).

Encoders (``TextConfig.encoder``), from the cheapest:
- ``bag``: the mean of the word vectors (``F.embedding_bag``, padding left out): word order is lost, as in TF-IDF.
- ``conv``: a 1-D convolution over neighbouring word vectors (3 at a time), then the max over the text: phrases.
- ``transformer``: one self-attention encoder layer (every word looks at every other), then the mean.
Each text column's vector joins the table features, and an MLP (``TextConfig.layers`` hidden layers of ``MLPConfig``'s width
and dropout) maps them to the output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bridge.config import MLPConfig, TextConfig
from bridge.errors import BridgeError
from bridge.models.neural import MLP
from bridge.problem.text import EMPTY, PAD

EMBEDDING_INIT_STD = 0.01
CONV_WIDTH = 3  # words a convolution sees at once
MAX_HEADS = 4  # attention heads of the transformer layer, fewer when the embedding size does not divide by 4


class TextNet(nn.Module):
    """Word ids (and table features) -> word vectors -> one vector per text column -> MLP -> output."""

    def __init__(self, layout: dict, n_outputs: int, text: TextConfig, mlp: MLPConfig):
        super().__init__()
        self.columns, self.max_tokens = int(layout["columns"]), int(layout["max_tokens"])
        self.vocabulary, self.tabular, self.encoder = int(layout["vocabulary"]), int(layout["tabular"]), text.encoder
        if self.columns < 1 or self.max_tokens < 1 or self.vocabulary < 3 or self.tabular < 0:
            raise BridgeError("the text network needs at least one text column, one token per text and a vocabulary")
        dim = text.embedding_dim
        self.embedding = nn.Embedding(self.vocabulary, dim, padding_idx=PAD)
        # Small starting vectors (torch's default is N(0, 1)): Adam moves each weight by about the learning rate a step,
        # so from N(0, 1) a word needs thousands of steps to leave its random place; from here, tens (as fastText starts).
        nn.init.normal_(self.embedding.weight, std=EMBEDDING_INIT_STD)
        with torch.no_grad():
            self.embedding.weight[PAD].zero_()
        if text.encoder == "conv":
            self.conv = nn.Conv1d(dim, dim, CONV_WIDTH, padding=CONV_WIDTH // 2)
        elif text.encoder == "transformer":
            heads = next(h for h in range(MAX_HEADS, 0, -1) if dim % h == 0)
            self.position = nn.Embedding(self.max_tokens, dim)
            self.attention = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=mlp.dropout, batch_first=True)
        elif text.encoder != "bag":
            raise BridgeError(f"text encoder '{text.encoder}' is unknown; use bag, conv or transformer")
        head = MLPConfig(hidden_layers=text.layers, width=mlp.width, dropout=mlp.dropout)
        self.head = MLP(self.columns * dim + self.tabular, n_outputs, head)

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        """(texts, max_tokens) word ids -> (texts, embedding_dim): one vector per text."""
        real = ids != PAD  # every text holds at least one non-pad id (an empty text is one EMPTY token)
        if self.encoder == "bag":
            return F.embedding_bag(ids, self.embedding.weight, mode="mean", padding_idx=PAD)
        vectors = self.embedding(ids)
        if self.encoder == "conv":
            hidden = F.relu(self.conv(vectors.transpose(1, 2))).transpose(1, 2)
            return hidden.masked_fill(~real[:, :, None], float("-inf")).amax(dim=1)
        positions = torch.arange(ids.shape[1], device=ids.device)
        hidden = self.attention(vectors + self.position(positions), src_key_padding_mask=~real)
        return (hidden * real[:, :, None]).sum(dim=1) / real.sum(dim=1, keepdim=True)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer: the representation the network learned (as MLP and CNN name theirs)."""
        return self.head.features(self._inputs(x))

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        n, width = x.shape[0], self.columns * self.max_tokens
        # Ids are whole numbers stored as floats; clamp keeps a stray value (a hand-made X) inside the table.
        ids = x[:, :width].round().long().clamp_(0, self.vocabulary - 1).reshape(n * self.columns, self.max_tokens)
        ids[:, 0] = torch.where((ids == PAD).all(dim=1), EMPTY, ids[:, 0])  # all padding would leave nothing to pool
        if self.encoder != "bag":  # texts are written from the left: cut the padding every text of the batch has (one sync)
            ids = ids[:, : int((ids != PAD).sum(dim=1).max())]
        texts = self.encode(ids).reshape(n, -1)
        return torch.cat([texts, x[:, width:]], dim=1) if self.tabular else texts

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self._inputs(x))
