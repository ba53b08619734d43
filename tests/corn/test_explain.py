"""LIME finds the part of the image the model looks at."""

import time

import numpy as np

from pipelines.corn.explain import LimeSettings, explain


def test_lime_points_at_the_region_the_model_uses():
    image = np.full((64, 64, 3), 90, dtype=np.uint8)
    image[:24, :24] = (40, 200, 40)  # a green patch, top left
    image[40:, 40:] = (150, 110, 80)

    def predict(batch):
        green = (batch[:, :24, :24, 1] > 150).mean(axis=(1, 2))  # class 1 = "the top-left patch is green"
        return np.stack([1 - green, green], axis=1)

    start = time.perf_counter()
    explanation = explain(predict, image, 1, LimeSettings(num_samples=150, num_features=3), seed=0)
    elapsed = time.perf_counter() - start
    heat = explanation.heatmap()
    assert heat[:24, :24].mean() > 0 and heat[:24, :24].mean() > heat[32:, 32:].mean()
    assert explanation.mask[:24, :24].mean() > 0.5 and explanation.mask[40:, 40:].mean() < 0.1
    assert explanation.segments.shape == (64, 64) and explanation.segments.max() > 3
    assert elapsed < 30  # generous: a sanity bound on a shared machine, not a timing test
