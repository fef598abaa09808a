"""Datasets: the IDX file reader and writer, and the dataset registry."""

from synaptica.data.datasets import DATASETS
from synaptica.data.datasets import Dataset
from synaptica.data.datasets import Splits
from synaptica.data.datasets import load_dataset
from synaptica.data.idx import read_idx
from synaptica.data.idx import write_idx

__all__ = ["DATASETS", "Dataset", "Splits", "load_dataset", "read_idx", "write_idx"]
