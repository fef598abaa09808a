"""The command line's estimate of the memory a network needs to train (synaptica.cli.memory)."""

import pytest

from synaptica.cli.memory import BYTES_PER_PARAMETER, available_memory, check_memory, mlp_parameters


def test_parameters_are_weights_and_biases():
    assert mlp_parameters([784, 30, 10]) == 784 * 30 + 30 + 30 * 10 + 10
    assert mlp_parameters([784, 30_000_000, 10]) == 23_850_000_010


def test_a_network_that_cannot_fit_is_refused_with_both_sizes():
    check_memory(1000, "--hidden 30", available=1000 * BYTES_PER_PARAMETER)
    with pytest.raises(MemoryError, match=r"--hidden 30000000 on fashion-mnist: the network has 23,850,000,010 "
                                          r"parameters; training it needs at least 266.5 GiB of memory and "
                                          r"16.0 GiB is available"):
        check_memory(23_850_000_010, "--hidden 30000000 on fashion-mnist", available=16 * 2**30)


def test_available_memory_is_read_from_meminfo_or_unknown(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2048 kB\n")
    assert available_memory(meminfo) == 2048 * 1024
    assert available_memory(tmp_path / "none") is None
    meminfo.write_text("MemTotal: 5 kB\n")
    assert available_memory(meminfo) is None
