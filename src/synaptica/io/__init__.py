"""Files: safetensors weights with the architecture inside; never pickle."""

from synaptica.io.model_file import load_model as load_model
from synaptica.io.model_file import save_model as save_model
from synaptica.io.safetensors_format import load_tensors as load_tensors
from synaptica.io.safetensors_format import save_tensors as save_tensors
