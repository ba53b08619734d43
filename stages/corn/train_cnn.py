"""Stage corn_train_cnn: our own CNN, 3 classes then 4, across optimizers and dropout/batch-norm rates.

Every experiment in `corn.train.experiments` is trained with the same protocol (augmentation,
class weights when classes are unbalanced, early stopping on validation loss with the best
weights restored), once per seed (`corn.train.seeds` consecutive seeds from `corn.seed`), and scored
on the validation and test splits. Outputs: one `.keras` model per experiment (the first seed's run),
`models/corn/cnn_results.json` (config, every seed's scores, the kept run's history) and the kept
run's test probabilities. Durations go to logs/corn_train_cnn.json, out of the results.
"""

from __future__ import annotations

from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.provenance import library_versions
from pipelines.common.runlog import write_run_log
from pipelines.common.seeds import seed_list
from pipelines.common.stage import run_stage
from pipelines.corn.data import configure_tensorflow, load_split
from pipelines.corn.models import CnnConfig, build_cnn, make_augmentation, make_optimizer
from pipelines.corn.paths import CNN_MODELS, CNN_PREDICTIONS, CNN_RESULTS, SPLIT_FILES
from pipelines.corn.settings import CornParams, Experiment, corn_params
from pipelines.corn.training import Experiments, FitSettings, classes_for, make_problem, train_and_score

log = get_logger("corn.train_cnn")
LIBRARIES = ("tensorflow-cpu", "keras")


def main() -> None:
    params = corn_params()
    seed = params.seed
    configure_tensorflow(params.threads, seed)
    train = params.train
    seeds = seed_list(seed, train.seeds, "corn.train.seeds")
    three = train.three_classes
    splits = {split: load_split(path) for split, path in SPLIT_FILES.items()}
    image_size = int(splits["train"].images.shape[1])

    trained = Experiments(CNN_MODELS)
    for experiment in train.experiments:
        for run_seed in seeds:
            train_experiment(trained, experiment, run_seed, params, splits, image_size, three)
    trained.save_predictions(CNN_PREDICTIONS)
    write_json(
        CNN_RESULTS,
        {
            "experiments": trained.results,
            "image_size": image_size,
            "seeds": seeds,
            "settings": FitSettings.from_params(train, seed).__dict__,
            "library_versions": library_versions(LIBRARIES),
        },
    )
    write_run_log("corn_train_cnn", {"seconds": {name: round(t, 1) for name, t in trained.seconds.items()}})


def train_experiment(
    trained: Experiments, experiment: Experiment, seed: int, params: CornParams, splits, image_size, three
):
    """One experiment with one seed: every random draw (weights, shuffling, augmentation) follows `seed`."""
    train = params.train
    augmentation = train.augmentation
    settings = FitSettings.from_params(train, seed)
    name = experiment.name
    configure_tensorflow(params.threads, seed)
    problem = make_problem(splits, classes_for(experiment.classes, three))
    config = CnnConfig(
        filters=tuple(train.cnn.filters),
        dense_units=train.cnn.dense_units,
        dropout=experiment.dropout,
        batchnorm=experiment.batchnorm,
    )
    model = build_cnn(image_size, problem.n_classes, config, name=name)
    augment = (
        make_augmentation(augmentation.flip, augmentation.rotation, augmentation.zoom, augmentation.contrast, seed)
        if experiment.augment
        else None
    )
    learning_rate = getattr(train.learning_rates, experiment.optimizer)
    optimizer = make_optimizer(experiment.optimizer, learning_rate, train.momentum)
    outcome = train_and_score(model, optimizer, problem, settings, augment)
    trained.add(
        name,
        model,
        problem,
        outcome,
        {
            "name": name,
            "n_classes": experiment.classes,
            "optimizer": experiment.optimizer,
            "dropout": experiment.dropout,
            "batchnorm": experiment.batchnorm,
            "augment": experiment.augment,
            "family": "own_cnn",
            "pretrained": False,
            "learning_rate": learning_rate,
            "filters": list(config.filters),
            "parameters": int(model.count_params()),
        },
        seed,
    )


if __name__ == "__main__":
    run_stage(main, "corn.train_cnn")
