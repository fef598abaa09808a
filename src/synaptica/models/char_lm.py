"""A character-level language model: embedding → stacked LSTM (or GRU) → a softmax over characters.

Trained to predict each next character of a text, a recurrent network learns spelling, words,
punctuation and the shape of verses from nothing but the stream (Karpathy 2015, "The unreasonable
effectiveness of recurrent neural networks"; Graves 2013, "Generating sequences with recurrent
neural networks"). Per step t, for a batch of sequences of character ids x:

    e_t = E[x_t]                         the embedding row of the character (a learned one-hot product)
    h_t = LSTM(e_t, h_{t−1})             num_layers stacked cells (synaptica.nn.recurrent)
    z_t = W_o h_t + b_o                  logits over the vocabulary; P(x_{t+1} | x_≤t) = softmax(z_t)

trained with the per-step cross-entropy (:func:`synaptica.ops.sequence_losses.sequence_cross_entropy`);
its mean in nats divided by ln 2 is the bits per character the model needs to encode the text.

``forward(x)`` maps ids (batch, steps) to logits (batch, steps, vocabulary), the inference path that
``predict``, saving and ONNX export use. A text is far longer than one window, so the model can be
made *stateful* (:meth:`stateful`): each call then starts from the state the previous call ended
in, detached from its graph, which is truncated backpropagation through time when the windows come
in order (:class:`synaptica.data.sequences.TokenStreamSource`, which calls :meth:`reset_state` at
the start of each epoch), and lets scoring and sampling walk a text window by window or one
character at a time. A call with a different batch size starts from zeros.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np

from synaptica.checks import one_of, positive_int
from synaptica.errors import ShapeError
from synaptica.nn.embedding import Embedding
from synaptica.nn.linear import Linear
from synaptica.nn.module import Module
from synaptica.nn.recurrent import GRU, LSTM
from synaptica.ops.softmax import log_softmax_array
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor, no_grad

__all__ = ["CharLanguageModel"]

CELLS = {"lstm": LSTM, "gru": GRU}


class CharLanguageModel(Module):
    """Ids (batch, steps) → next-character logits (batch, steps, vocabulary_size).

    Args:
        vocabulary_size: the number of distinct characters.
        embedding_dim: the length of each character's vector.
        hidden_size: units per recurrent layer.
        num_layers: stacked recurrent layers.
        cell: ``"lstm"`` or ``"gru"``.
        init: ``"default"`` (each part's own: N(0, 1) embedding, PyTorch's uniform recurrent weights,
            Xavier read-out) or ``"zeros"`` (weights loaded from a file).
    """

    def __init__(self, vocabulary_size: int, embedding_dim: int = 64, hidden_size: int = 256, num_layers: int = 2,
                 cell: str = "lstm", init: str = "default", rng: SeedLike = None, dtype=np.float32):
        vocabulary_size = positive_int("CharLanguageModel", "vocabulary_size", vocabulary_size)
        self.cell = one_of("CharLanguageModel", "cell", cell, tuple(CELLS))
        init = one_of("CharLanguageModel", "init", init, ("default", "zeros"))
        generator = as_generator(rng)
        zeros = init == "zeros"
        self.embedding = Embedding(vocabulary_size, embedding_dim, init="zeros" if zeros else "normal",
                                   rng=generator, dtype=dtype)
        self.recurrent = CELLS[self.cell](embedding_dim, hidden_size, num_layers=num_layers, return_sequences=True,
                                          init="zeros" if zeros else "uniform", rng=generator, dtype=dtype)
        self.readout = Linear(hidden_size, vocabulary_size, init="zeros" if zeros else "xavier", rng=generator,
                              dtype=dtype)
        self._stateful = False
        self._state = None

    @property
    def vocabulary_size(self) -> int:
        return self.embedding.num_embeddings

    def forward(self, x: Tensor) -> Tensor:
        ids = x.data if isinstance(x, Tensor) else np.asarray(x)
        if ids.ndim != 2:
            raise ShapeError(f"{self!r} reads character ids of shape (batch, steps), got {ids.shape}")
        batch, steps = ids.shape
        initial = self._state if self._stateful and self._carried_batch() == batch else None
        outputs, final = self.recurrent.run(self.embedding(x), initial_state=initial)
        if self._stateful:
            parts = final if isinstance(final, tuple) else (final,)
            detached = tuple(Tensor(part.data.copy()) for part in parts)
            self._state = detached if isinstance(final, tuple) else detached[0]
        return self.readout(outputs)

    def reset_state(self) -> None:
        """Forget the carried state: the next call starts from zeros."""
        self._state = None

    @contextmanager
    def stateful(self, enabled: bool = True) -> Iterator[CharLanguageModel]:
        """Within the block each call continues from the last one's final state (module docstring)."""
        before, self._stateful = self._stateful, enabled
        self.reset_state()
        try:
            yield self
        finally:
            self._stateful = before
            self.reset_state()

    def sample(self, prompt, length: int, rng: np.random.Generator, temperature: float = 1.0) -> np.ndarray:
        """``length`` ids drawn one at a time after the ids of ``prompt`` (at least one).

        Each next id is drawn from softmax(z / temperature) with ``rng``: temperature 1 samples the
        model's own distribution, lower is more conservative, and 0 takes the arg-max (greedy decoding).
        """
        prompt = np.asarray(prompt, dtype=np.int64).reshape(-1)
        if prompt.size == 0:
            raise ValueError(f"{self!r}: sampling needs a prompt of at least one character")
        if temperature < 0 or not np.isfinite(temperature):
            raise ValueError(f"temperature must be a finite number >= 0, got {temperature}")
        dtype = self.readout.weight.data.dtype
        drawn = np.empty(length, dtype=np.int64)
        was_training = self.training
        self.eval()
        try:
            with no_grad(), self.stateful():
                if prompt.size > 1:
                    self(Tensor(prompt[None, :-1].astype(dtype)))
                last = prompt[-1]
                for i in range(length):
                    logits = self(Tensor(np.array([[last]], dtype=dtype))).data[0, -1].astype(np.float64)
                    if temperature == 0:
                        last = int(logits.argmax())
                    else:
                        p = np.exp(log_softmax_array(logits / temperature, axis=0))
                        last = int(rng.choice(p.size, p=p / p.sum()))
                    drawn[i] = last
        finally:
            self.train(was_training)
        return drawn

    def _carried_batch(self) -> int | None:
        if self._state is None:
            return None
        first = self._state[0] if isinstance(self._state, tuple) else self._state
        return first.shape[1]

    @classmethod
    def parameter_count(cls, vocabulary_size: int, embedding_dim: int = 64, hidden_size: int = 256,
                        num_layers: int = 2, cell: str = "lstm") -> int:
        cell = one_of("CharLanguageModel", "cell", cell, tuple(CELLS))
        recurrent = CELLS[cell].parameter_count(embedding_dim, hidden_size, num_layers=num_layers)
        return vocabulary_size * embedding_dim + recurrent + Linear.parameter_count(hidden_size, vocabulary_size)

    def config(self) -> dict:
        return {"type": "CharLanguageModel", "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding.embedding_dim, "hidden_size": self.recurrent.hidden_size,
                "num_layers": self.recurrent.num_layers, "cell": self.cell}

    def __repr__(self) -> str:
        return (f"CharLanguageModel({self.vocabulary_size} characters, {self.cell.upper()} "
                f"{self.recurrent.num_layers}×{self.recurrent.hidden_size})")
