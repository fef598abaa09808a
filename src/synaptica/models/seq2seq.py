"""Sequence to sequence with attention: an encoder reads the input, a decoder writes the output.

Sutskever, Vinyals and Le (2014, "Sequence to sequence learning with neural networks") read the
input sequence with one LSTM and hand its final state to a second LSTM that writes the output one
symbol at a time, each step fed the symbol before, until it writes the end-of-sequence symbol
(seed 004). Bahdanau, Cho and Bengio (2015) let every output step look back at *all* the encoder's
states through attention (:mod:`synaptica.ops.attention`), so the input need not squeeze through one
vector, and the weights α show which input each output came from (an alignment).

The model, for source ids x (letters) and target ids y (phonemes):

    H = BiLSTM(E_src[x])                               encoder states, one per source position (2h)
    (s_0, c_0) = (tanh(W_h [h_fwd; h_bwd]), W_c [c_fwd; c_bwd])      the bridge to the decoder
    s_t = LSTM(E_tgt[y_{t−1}], s_{t−1})                 y_0 is the end symbol, used as "start"
    c_t = attention(s_t, H)                             additive, dot (on W_k H), or none
    z_t = W_o tanh(W_a [s_t; c_t])                      logits of y_t

With ``dropout`` p > 0 (Srivastava et al. 2014; Zaremba, Sutskever and Vinyals 2014 drop the
non-recurrent connections of LSTMs, as here) training drops units at four places, each with a fresh
mask per batch from the model's own ``dropout`` stream: the letter embeddings E_src[x], the phoneme
embeddings E_tgt[y_{t−1}], the encoder's outputs on their way to the decoder (the states H the
attention reads and the final states the bridge reads), and tanh(W_a [s_t; c_t]) before the read-out W_o. The recurrent
connections are left whole. In evaluation mode (``decode``, ``forward``) nothing is dropped.

Ids: the source pads with 0 (symbols are 1 …); the target pads with 0, :data:`END` = 1 closes every
target sequence, and symbols are 2 …. Training is teacher forcing (:mod:`synaptica.rules.teacher_forcing`):
the decoder is fed the true previous symbols, all steps at once, through :meth:`Seq2Seq.teacher_forced`.
Inference (:meth:`Seq2Seq.decode`, and ``forward``) feeds back its own outputs, greedily or by beam
search.

A trained model is saved with :func:`synaptica.io.save_model` (its ``config()`` and weights) and read
back with :func:`load_seq2seq`. It stays outside the layer registry, as the spiking network does:
every registry type has an ONNX form, and this one's greedy loop with attention has none here; its
file is checked as any model file is, and its arguments as a registry layer's.
"""

from __future__ import annotations

import numpy as np

from synaptica import ops
from synaptica.checks import one_of, positive_int
from synaptica.errors import ShapeError
from synaptica.io.model_file import load_model
from synaptica.nn.dropout import Dropout
from synaptica.nn.embedding import Embedding
from synaptica.nn.linear import Linear
from synaptica.nn.module import Module, Parameter
from synaptica.nn.recurrent import LSTM
from synaptica.ops.attention import attention
from synaptica.ops.softmax import log_softmax_array
from synaptica.random import SeedLike, as_generator, stream
from synaptica.tensor import Tensor, no_grad

__all__ = ["Seq2Seq", "END", "PAD", "ATTENTION", "load_seq2seq"]

PAD, END = 0, 1
#: rows greedy decoding runs at once
GREEDY_BATCH = 512
ATTENTION = ("additive", "dot", "none")


class Seq2Seq(Module):
    """Encoder–decoder with attention (module docstring).

    Args:
        source_symbols: source vocabulary size, the pad id 0 included.
        target_symbols: target vocabulary size, pad 0 and end 1 included.
        embedding_dim, hidden_size: sizes of the embeddings and of each LSTM direction.
        attention: ``additive`` (Bahdanau), ``dot`` (Luong's "general": q · W_k k) or ``none`` (Sutskever).
        max_length: the longest output :meth:`decode` writes.
        init: ``"default"`` (each part's own) or ``"zeros"`` (weights loaded from a file).
        dropout: the probability of dropping a unit in training, at the four places of the module
            docstring (0: none). The masks come from a stream of their own derived from ``rng``, so
            the initial weights do not depend on it.
    """

    def __init__(self, source_symbols: int, target_symbols: int, embedding_dim: int = 64, hidden_size: int = 128,
                 attention: str = "additive", max_length: int = 30, init: str = "default", rng: SeedLike = None,
                 dtype=np.float32, dropout: float = 0.0):
        self.attention_kind = one_of("Seq2Seq", "attention", attention, ATTENTION)
        self.max_length = positive_int("Seq2Seq", "max_length", max_length)
        h = positive_int("Seq2Seq", "hidden_size", hidden_size)
        zeros = one_of("Seq2Seq", "init", init, ("default", "zeros")) == "zeros"
        g = as_generator(rng)
        self.dropout = Dropout(dropout, rng=stream(g, "dropout"))
        embedding = dict(init="zeros" if zeros else "normal", rng=g, dtype=dtype)
        recurrent = dict(return_sequences=True, init="zeros" if zeros else "uniform", rng=g, dtype=dtype)
        linear = dict(init="zeros" if zeros else "xavier", rng=g, dtype=dtype)
        normal = (lambda std, shape: np.zeros(shape, dtype)) if zeros else (
            lambda std, shape: g.normal(0, std, shape).astype(dtype))
        self.source_embedding = Embedding(source_symbols, embedding_dim, **embedding)
        self.encoder = LSTM(embedding_dim, h, bidirectional=True, **recurrent)
        self.bridge_h = Linear(2 * h, h, **linear)
        self.bridge_c = Linear(2 * h, h, **linear)
        self.target_embedding = Embedding(target_symbols, embedding_dim, **embedding)
        self.decoder = LSTM(embedding_dim, h, **recurrent)
        if self.attention_kind == "additive":
            self.w_query = Parameter(normal(1 / np.sqrt(h), (h, h)))
            self.w_key = Parameter(normal(1 / np.sqrt(2 * h), (h, 2 * h)))
            self.w_score = Parameter(normal(1 / np.sqrt(h), h))
        elif self.attention_kind == "dot":
            self.key_projection = Linear(2 * h, h, bias=False, **linear)
        context = 0 if self.attention_kind == "none" else 2 * h
        self.combine = Linear(h + context, h, **linear)
        self.readout = Linear(h, target_symbols, **linear)

    # ------------------------------------------------------------------ the parts
    def encode(self, source: np.ndarray):
        """Encoder states H (batch, S, 2h), the source lengths, and the decoder's initial state."""
        source = _ids(source, "source")
        lengths = np.count_nonzero(source, axis=1)
        if lengths.min() == 0:
            raise ShapeError(f"{self!r}: source sequence {int(np.argmin(lengths))} is empty")
        embedded = self.dropout(self.source_embedding(Tensor(source.astype(self._dtype))))
        states, (h_n, c_n) = self.encoder.run(embedded, lengths=lengths)
        both = lambda final: self.dropout(ops.concat([final[0], final[1]], axis=1))  # noqa: E731 - fwd and bwd
        initial = (ops.tanh(self.bridge_h(both(h_n))), self.bridge_c(both(c_n)))
        return self.dropout(states), lengths, initial

    def _context(self, queries: Tensor, states: Tensor, lengths: np.ndarray) -> tuple[Tensor, np.ndarray]:
        if self.attention_kind == "additive":
            return attention(queries, states, states, lengths, score="additive", w_query=self.w_query,
                             w_key=self.w_key, w=self.w_score)
        return attention(queries, self.key_projection(states), states, lengths, score="dot")

    def _step_logits(self, decoded: Tensor, states: Tensor, lengths: np.ndarray) -> tuple[Tensor, np.ndarray | None]:
        if self.attention_kind == "none":
            return self.readout(self.dropout(ops.tanh(self.combine(decoded)))), None
        context, weights = self._context(decoded, states, lengths)
        return self.readout(self.dropout(ops.tanh(self.combine(ops.concat([decoded, context], axis=2))))), weights

    def teacher_forced(self, source: np.ndarray, target: np.ndarray) -> Tensor:
        """Logits (batch, T, target_symbols) for every target step, fed the true previous symbols."""
        target = _ids(target, "target")
        states, lengths, initial = self.encode(source)
        fed = np.concatenate([np.full((len(target), 1), END), target[:, :-1]], axis=1)
        decoded, _ = self.decoder.run(self.dropout(self.target_embedding(Tensor(fed.astype(self._dtype)))),
                                      initial_state=tuple(ops.reshape(part, (1, *part.shape)) for part in initial))
        logits, _ = self._step_logits(decoded, states, lengths)
        return logits

    # ------------------------------------------------------------------ inference
    def decode(self, source, beam: int = 1, max_length: int | None = None) -> tuple[list[list[int]], list[np.ndarray]]:
        """The output ids of each source (end symbol dropped) and its attention weights (T × S; empty
        without attention), by greedy decoding (``beam=1``) or beam search."""
        source = _ids(source, "source")
        max_length = max_length or self.max_length
        results, alignments = [], []
        was = self.training
        self.eval()
        try:
            with no_grad():
                if beam == 1:
                    for start in range(0, len(source), GREEDY_BATCH):
                        ids, weights = self._greedy(source[start:start + GREEDY_BATCH], max_length)
                        results += ids
                        alignments += weights
                for row in source if beam > 1 else ():
                    ids, weights = self._beam_search(row[None, :np.count_nonzero(row)], beam, max_length)
                    results.append(ids)
                    alignments.append(weights)
        finally:
            self.train(was)
        return results, alignments

    def _greedy(self, source: np.ndarray, max_length: int):
        """Greedy decoding of a padded batch at once: every step writes each row's most probable symbol
        (never the padding) until every row has written END. The same outputs as a beam of one, row by row."""
        source = source[:, :np.count_nonzero(source, axis=1).max()]
        states, lengths, (h, c) = self.encode(source)
        state = (Tensor(h.data[None]), Tensor(c.data[None]))
        last = np.full((len(source), 1), END, dtype=self._dtype)
        written, weights, done = [], [], np.zeros(len(source), dtype=bool)
        for _ in range(max_length):
            decoded, state = self.decoder.run(self.target_embedding(Tensor(last)), initial_state=state)
            logits, alpha = self._step_logits(decoded, states, lengths)
            scores = logits.data[:, 0].copy()
            scores[:, PAD] = -np.inf
            symbols = np.argmax(scores, axis=1)
            written.append(symbols)
            weights.append(alpha[:, 0] if alpha is not None else None)
            done |= symbols == END
            if done.all():
                break
            last = symbols[:, None].astype(self._dtype)
        written = np.stack(written, axis=1)
        results, alignments = [], []
        for i, row in enumerate(written):
            ends = np.flatnonzero(row == END)
            steps = int(ends[0]) + 1 if len(ends) else len(row)
            results.append([int(symbol) for symbol in row[:steps] if symbol != END])
            alignments.append(np.stack([w[i, :lengths[i]] for w in weights[:steps]]) if weights[0] is not None
                              else np.zeros((0, 0)))
        return results, alignments

    def _beam_search(self, source: np.ndarray, beam: int, max_length: int):
        """Keep the ``beam`` best prefixes by summed log-probability; a prefix ending in END is finished.
        The best finished one by log-probability per symbol (length-normalised) wins."""
        states, lengths, (h, c) = self.encode(source)
        hypotheses = [(0.0, [], (h.data, c.data), [])]
        finished = []
        for _ in range(max_length):
            count = len(hypotheses)
            h0 = Tensor(np.concatenate([hyp[2][0] for hyp in hypotheses])[None])
            c0 = Tensor(np.concatenate([hyp[2][1] for hyp in hypotheses])[None])
            last = np.array([[hyp[1][-1] if hyp[1] else END] for hyp in hypotheses], dtype=self._dtype)
            decoded, (h_n, c_n) = self.decoder.run(self.target_embedding(Tensor(last)), initial_state=(h0, c0))
            repeat = lambda t: Tensor(np.repeat(t.data, count, axis=0))  # noqa: E731
            logits, weights = self._step_logits(decoded, repeat(states), np.repeat(lengths, count))
            log_p = log_softmax_array(logits.data[:, 0].astype(np.float64), axis=1)
            log_p[:, PAD] = -np.inf
            candidates = []
            for i, (score, ids, _, align) in enumerate(hypotheses):
                for symbol in np.argsort(log_p[i])[::-1][:beam]:
                    row = weights[i, 0] if weights is not None else None
                    candidates.append((score + log_p[i, symbol], ids + [int(symbol)],
                                       (h_n.data[0, i:i + 1], c_n.data[0, i:i + 1]), align + [row]))
            candidates.sort(key=lambda cand: -cand[0])
            hypotheses = []
            for cand in candidates:
                (finished if cand[1][-1] == END else hypotheses).append(cand)
                if len(hypotheses) == beam:
                    break
            if not hypotheses or (finished and len(finished) >= beam):
                break
        pool = finished or hypotheses
        score, ids, _, align = max(pool, key=lambda cand: cand[0] / len(cand[1]))
        ids = ids[:-1] if ids and ids[-1] == END else ids
        return ids, (np.stack(align[:len(ids) + 1]) if align and align[0] is not None else np.zeros((0, 0)))

    def forward(self, x: Tensor) -> Tensor:
        """Greedy outputs (batch, max_length) of source ids, padded with 0 after each sequence's end."""
        decoded, _ = self.decode(x.data if isinstance(x, Tensor) else x)
        out = np.zeros((len(decoded), self.max_length), dtype=self._dtype)
        for i, ids in enumerate(decoded):
            out[i, :len(ids)] = ids
        return Tensor(out)

    @property
    def _dtype(self):
        return self.readout.weight.data.dtype

    @classmethod
    def parameter_count(cls, source_symbols: int, target_symbols: int, embedding_dim: int = 64,
                        hidden_size: int = 128, attention: str = "additive", max_length: int = 30,
                        dropout: float = 0.0) -> int:
        """The numbers a model of these arguments holds, counted before it is built (a file's budget)."""
        h, e = hidden_size, embedding_dim
        attention = one_of("Seq2Seq", "attention", attention, ATTENTION)
        scores = {"additive": h * h + h * 2 * h + h, "dot": 2 * h * h, "none": 0}[attention]
        context = 0 if attention == "none" else 2 * h
        return ((source_symbols + target_symbols) * e + LSTM.parameter_count(e, h, bidirectional=True)
                + 2 * Linear.parameter_count(2 * h, h) + LSTM.parameter_count(e, h) + scores
                + Linear.parameter_count(h + context, h) + Linear.parameter_count(h, target_symbols))

    def config(self) -> dict:
        return {"type": "Seq2Seq", "source_symbols": self.source_embedding.num_embeddings,
                "target_symbols": self.readout.out_features, "embedding_dim": self.source_embedding.embedding_dim,
                "hidden_size": self.decoder.hidden_size, "attention": self.attention_kind,
                "max_length": self.max_length, "dropout": self.dropout.p}

    def __repr__(self) -> str:
        dropout = f", dropout {self.dropout.p:g}" if self.dropout.p else ""
        return (f"Seq2Seq({self.source_embedding.num_embeddings} → {self.readout.out_features} symbols, "
                f"LSTM {self.decoder.hidden_size}, attention {self.attention_kind}{dropout})")


def load_seq2seq(path) -> tuple[Seq2Seq, dict[str, str]]:
    """Read a model written by ``synaptica.io.save_model(path, seq2seq, metadata)``; returns (model, metadata).

    Every check of :func:`synaptica.io.load_model` applies (each error names the file); a file that
    holds another kind of model is refused too."""
    return load_model(path, model_class=Seq2Seq)


def _ids(values, what: str) -> np.ndarray:
    ids = np.asarray(values.data if isinstance(values, Tensor) else values)
    if ids.ndim != 2:
        raise ShapeError(f"Seq2Seq: {what} ids must have shape (batch, steps), got {ids.shape}")
    if ids.dtype.kind == "f":
        ids = ids.astype(np.int64)
    return ids
