"""Two saves of the same Keras model give the same bytes, and the file loads back with the same weights."""

import time

import numpy as np

from pipelines.common.keras_files import normalise_config, save_model


def test_same_model_same_bytes_and_it_loads(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    shared = keras.layers.Dense(3, name="shared")
    model = keras.Model(inputs, keras.layers.Dense(1)(shared(shared(keras.layers.Dense(3)(inputs)))))
    save_model(model, tmp_path / "a.keras")
    time.sleep(1.1)  # Keras' date_saved and the zip entries' times have one-second resolution
    save_model(model, tmp_path / "b.keras")
    assert (tmp_path / "a.keras").read_bytes() == (tmp_path / "b.keras").read_bytes()
    loaded = keras.models.load_model(tmp_path / "a.keras")
    assert all(np.array_equal(x, y) for x, y in zip(model.get_weights(), loaded.get_weights(), strict=True))
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_object_ids_are_renumbered_in_order():
    text = '{"shared_object_id": 9911, "x": {"shared_object_id": 42}, "y": {"shared_object_id": 9911}}'
    assert (
        normalise_config(text) == '{"shared_object_id": 1, "x": {"shared_object_id": 2}, "y": {"shared_object_id": 1}}'
    )
