"""Stage corn_train_cnn: our own CNN, 3 classes then 4, across optimizers and dropout/batch-norm rates.

Every experiment in `corn.train.experiments` is trained with the same protocol (augmentation,
class weights when classes are unbalanced, early stopping on validation loss with the best
weights restored), once per seed (`corn.train.seeds` consecutive seeds from `corn.seed`), and scored
on the validation and test splits. Outputs: one `.keras` model per experiment (the first seed's run),
`models/corn/cnn_results.json` (config, every seed's scores, the kept run's history) and the kept
run's test probabilities. Durations go to logs/corn_train_cnn.json, out of the results.
"""

from __future__ import annotations

from pipelines.common.errors import ParamError
from pipelines.common.io import write_json
from pipelines.common.logs import get_logger
from pipelines.common.params import Params, load_params
from pipelines.common.provenance import library_versions
from pipelines.common.runlog import write_run_log
from pipelines.common.seeds import seed_list
from pipelines.common.stage import run_stage
from pipelines.corn.data import configure_tensorflow, load_split
from pipelines.corn.models import OPTIMIZERS, CnnConfig, build_cnn, make_augmentation, make_optimizer
from pipelines.corn.paths import CNN_MODELS, CNN_PREDICTIONS, CNN_RESULTS, SPLIT_FILES
from pipelines.corn.training import Experiments, FitSettings, classes_for, make_problem, train_and_score

log = get_logger("corn.train_cnn")
LIBRARIES = ("tensorflow-cpu", "keras")


def parse_experiment(raw: Params) -> dict:
    name = raw.get("name", type_=str)
    if not name.replace("_", "").isalnum():
        raise ParamError(raw.name("name"), f"use letters, digits and underscores only, got {name!r}")
    return {
        "name": name,
        "n_classes": raw.choice("classes", [3, 4]),
        "optimizer": raw.choice("optimizer", list(OPTIMIZERS)),
        "dropout": raw.number("dropout", minimum=0.0, maximum=0.9),
        "batchnorm": raw.get("batchnorm", type_=bool),
        "augment": raw.get("augment", type_=bool),
    }


def parse_experiments(train: Params) -> list[dict]:
    raw = train.get("experiments", type_=list)
    experiments = [parse_experiment(Params(item, f"{train.name('experiments')}[{i}]")) for i, item in enumerate(raw)]
    names = [e["name"] for e in experiments]
    if len(set(names)) != len(names):
        raise ParamError(train.name("experiments"), f"experiment names must be unique: {names}")
    if not experiments:
        raise ParamError(train.name("experiments"), "at least one experiment is needed")
    return experiments


def main() -> None:
    params = load_params("corn")
    seed = params.integer("seed")
    configure_tensorflow(params.integer("threads", minimum=1), seed)
    train = params.section("train")
    seeds = seed_list(seed, train.integer("seeds", minimum=1), train.name("seeds"))
    experiments = parse_experiments(train)
    three = train.string_list("three_classes")
    if len(three) != 3:
        raise ParamError(train.name("three_classes"), f"expected 3 class folder names, got {three}")
    splits = {split: load_split(path) for split, path in SPLIT_FILES.items()}
    image_size = int(splits["train"].images.shape[1])

    trained = Experiments(CNN_MODELS)
    for experiment in experiments:
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


def train_experiment(trained: Experiments, experiment: dict, seed: int, params: Params, splits, image_size, three):
    """One experiment with one seed: every random draw (weights, shuffling, augmentation) follows `seed`."""
    train = params.section("train")
    learning_rates = train.section("learning_rates")
    augmentation = train.section("augmentation")
    cnn = train.section("cnn")
    settings = FitSettings.from_params(train, seed)
    name = experiment["name"]
    configure_tensorflow(params.integer("threads"), seed)
    problem = make_problem(splits, classes_for(experiment["n_classes"], three))
    config = CnnConfig(
        filters=tuple(cnn.get("filters", type_=list)),
        dense_units=cnn.integer("dense_units", minimum=1),
        dropout=experiment["dropout"],
        batchnorm=experiment["batchnorm"],
    )
    model = build_cnn(image_size, problem.n_classes, config, name=name)
    augment = (
        make_augmentation(
            augmentation.get("flip", type_=bool),
            augmentation.number("rotation", minimum=0, maximum=0.5),
            augmentation.number("zoom", minimum=0, maximum=0.5),
            augmentation.number("contrast", minimum=0, maximum=0.9),
            seed,
        )
        if experiment["augment"]
        else None
    )
    learning_rate = learning_rates.number(experiment["optimizer"], minimum=0)
    optimizer = make_optimizer(experiment["optimizer"], learning_rate, train.number("momentum", minimum=0))
    outcome = train_and_score(model, optimizer, problem, settings, augment)
    trained.add(
        name,
        model,
        problem,
        outcome,
        {
            **experiment,
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
