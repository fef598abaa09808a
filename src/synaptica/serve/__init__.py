"""The web pages: draw on a canvas and watch the network think; follow a training run live.

``synaptica serve MODEL`` and ``synaptica train --serve`` (docs/serve.md). The pieces:

* :mod:`synaptica.data.preprocess`: a drawing framed the way the dataset was made (NumPy);
* :mod:`synaptica.serve.payload`: what a request may hold, checked, with a 4xx status for each refusal;
* :mod:`synaptica.serve.png`: PNG uploads, their size checked before decoding (Pillow);
* :mod:`synaptica.serve.inference`: one prediction with every layer's activations and the saliency;
* :mod:`synaptica.serve.samples`: test images with the model's guesses and mistakes;
* :mod:`synaptica.serve.demo`: a small Fashion-MNIST model, trained once and kept in the user cache;
* :mod:`synaptica.serve.app`: the Starlette applications and the uvicorn server (the ``serve`` extra,
  imported only there); the pages themselves are plain files in ``static/``.

Nothing here is imported by the rest of the library.
"""
