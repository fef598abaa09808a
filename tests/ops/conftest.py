"""Keep Hypothesis's failure reports readable under ``filterwarnings = error``.

When a Hypothesis test fails, its pytest plugin imports ``hypothesis.extra._patching`` (libcst),
which triggers a DeprecationWarning from ``mypy_extensions``; with warnings as errors that turns the
failure report into an INTERNALERROR. Importing the module once here, with that warning ignored,
leaves the cached module for the plugin to use.
"""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # libcst not installed: the plugin skips the patch too
        pass
