"""The provenance line never overprints what a figure draws."""

from __future__ import annotations

from PIL import Image

from pipelines.reporting.plotting import add_source_line, plt, save_figure


def _texts_overlapping(fig, line) -> list[str]:
    renderer = fig.canvas.get_renderer()
    box = line.get_window_extent(renderer)
    overlapping = []
    for text in fig.findobj(plt.Text):
        if text is line or not text.get_text() or not text.get_visible():  # hidden ticks sit at (0, 0)
            continue
        if box.overlaps(text.get_window_extent(renderer)):
            overlapping.append(text.get_text())
    return overlapping


def _crowded_figure():
    """Long x labels, rotated ticks and a legend under the axes: what overprinted the old bottom-left line."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    for ax in axes:
        ax.bar(["winter", "spring", "summer", "autumn"], [2.1, 1.8, 1.5, 1.9], label="RMSE")
        ax.set_xlabel("season of the target day (meteorological)")
        ax.tick_params(axis="x", labelrotation=45)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.45))
    fig.tight_layout()
    return fig


def test_the_source_line_lies_below_every_label_and_legend():
    fig = _crowded_figure()
    line = add_source_line(fig, "source: Open-Meteo ERA5, IJmuiden 2018-2025 · stage weather_evaluate · commit abc123")
    fig.canvas.draw()
    assert _texts_overlapping(fig, line) == []
    lowest_other = min(
        text.get_window_extent().y0
        for text in fig.findobj(plt.Text)
        if text is not line and text.get_text() and text.get_visible()
    )
    assert line.get_window_extent().y1 <= lowest_other
    plt.close(fig)


def test_the_saved_png_includes_the_source_line(tmp_path):
    fig = _crowded_figure()
    fig.canvas.draw()
    height_without = fig.get_tightbbox(fig.canvas.get_renderer()).height
    path = save_figure(fig, tmp_path / "figure.png", "source: test data")
    with Image.open(path) as image:
        assert image.size[1] > height_without * 100  # dpi 100: the line added height below the content
