"""Read TensorBoard event files back without TensorBoard: TFRecord framing checked, protobuf ``Event``s.

An event file is a sequence of records, each ``uint64 length``, ``uint32 masked CRC-32C of the
length``, ``data``, ``uint32 masked CRC-32C of the data`` (little-endian); ``data`` is an ``Event``
message (tensorboardX ships its compiled protobuf classes).
"""

import struct
from pathlib import Path

from tensorboardX.crc32c import crc32c
from tensorboardX.proto.event_pb2 import Event


def _masked(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_events(path: Path) -> list[Event]:
    """Every event of one file, in order; a damaged record fails the test."""
    data, events, at = Path(path).read_bytes(), [], 0
    while at < len(data):
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        assert length_crc == _masked(header), f"{path}: bad length checksum at byte {at}"
        body = data[at + 12:at + 12 + length]
        (body_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        assert len(body) == length and body_crc == _masked(body), f"{path}: bad record at byte {at}"
        events.append(Event.FromString(body))
        at += 16 + length
    return events


def event_files(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob("events.out.tfevents.*"))


def summaries(directory: Path) -> tuple[dict[str, dict[int, float]], dict[str, dict[int, object]]]:
    """The scalars ``{tag: {step: value}}`` and histograms ``{tag: {step: HistogramProto}}`` of every
    event file in ``directory``, later files overriding earlier ones."""
    scalars: dict[str, dict[int, float]] = {}
    histograms: dict[str, dict[int, object]] = {}
    for path in event_files(directory):
        for event in read_events(path):
            for value in event.summary.value:
                if value.HasField("histo"):
                    histograms.setdefault(value.tag, {})[event.step] = value.histo
                else:
                    scalars.setdefault(value.tag, {})[event.step] = value.simple_value
    return scalars, histograms
