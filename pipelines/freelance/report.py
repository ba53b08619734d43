"""The freelance evaluation report: the client's table beside ours, the protocol, the models, the targets.

Every sentence that concludes is computed from the numbers (pipelines/freelance/text.py).
"""

from __future__ import annotations

import pandas as pd
from sklearn.metrics import confusion_matrix

from pipelines.freelance import figures
from pipelines.freelance.models import DUMMY_REGRESSOR
from pipelines.freelance.paths import EVALUATION_FIGURES, EVALUATION_REPORT
from pipelines.freelance.text import CLIENT_FILES, band_order_text, client_comparison, protocol_text, selection_text
from pipelines.reporting.report import Section, render_report

BASELINE, CHOSEN, KERAS = "dummy", "chosen", "keras_two_head"


def write_report(
    metrics, summary, keras_summary, prepared, protocols, predictions, verdicts, price_model, band_model
) -> None:
    scores, client = metrics["test"], metrics["client"]
    band = predictions["band"].to_numpy()
    source = f"Data: {prepared['description']} ({prepared['kind']}); test split of {prepared['rows']['test']} gigs"
    price_table = pd.DataFrame({name: scores[name] for name in [*summary["price"], KERAS]}).T[
        ["mae_cv", "mae_cv_std", "mae", "rmse", "r2", "band_accuracy"]
    ]
    band_table = pd.DataFrame({name: scores[f"bands_{name}"] for name in summary["band"]}).T
    rerun = protocols[protocols["steps"][0]]  # the client's code as published, re-run by freelance_protocols
    client_table = pd.DataFrame(
        {
            "client (their split)": [
                client["gradient_boosting"]["mae"],
                client["gradient_boosting"]["rmse"],
                client["gradient_boosting"]["r2"],
                client["decision_tree_bands"]["band_accuracy"],
                client["keras"]["mae"],
                client["keras"]["r2"],
            ],
            "ours (test split)": [
                scores[CHOSEN]["mae"],
                scores[CHOSEN]["rmse"],
                scores[CHOSEN]["r2"],
                scores[CHOSEN]["band_accuracy"],
                scores[KERAS]["mae"],
                scores[KERAS]["r2"],
            ],
            "their code re-run here (mean of seeds)": [
                rerun["mae"]["mean"],
                rerun["rmse"]["mean"],
                rerun["r2"]["mean"],
                rerun["band_accuracy"]["mean"],
                float("nan"),
                float("nan"),
            ],
            "ours: same family": [
                scores["gradient_boosting"]["mae"],
                scores["gradient_boosting"]["rmse"],
                scores["gradient_boosting"]["r2"],
                scores["bands_decision_tree"]["band_accuracy"],
                scores[KERAS]["mae"],
                scores[KERAS]["r2"],
            ],
        },
        index=["price MAE", "price RMSE", "price R²", "band accuracy", "Keras MAE", "Keras R²"],
    )
    drawn_price = figures.model_comparison(
        price_table,
        "mae",
        "MAE (thousands of PKR)",
        EVALUATION_FIGURES / "price_models.png",
        source,
        "Price models: MAE on the CV folds and on the test split",
    )
    band_plot = band_table.rename(
        columns={
            "band_accuracy_cv": "accuracy_cv",
            "band_accuracy_cv_std": "accuracy_cv_std",
            "band_accuracy": "accuracy",
        }
    )
    drawn_band = figures.model_comparison(
        band_plot,
        "accuracy",
        "band accuracy",
        EVALUATION_FIGURES / "band_models.png",
        source,
        "Band models: accuracy on the CV folds and on the test split",
    )
    scatter = figures.predicted_vs_actual(
        predictions["price"].to_numpy(),
        predictions[f"price_{price_model}"].to_numpy(),
        price_model,
        EVALUATION_FIGURES / "predicted_vs_actual.png",
        source,
    )
    confusion = figures.band_confusion(
        confusion_matrix(band, predictions[f"band_{band_model}"], labels=[0, 1, 2]),
        f"bands_{band_model}",
        EVALUATION_FIGURES / "band_confusion.png",
        source,
    )
    rows = prepared["rows"]
    protocol = [
        f"One protocol for every model: {metrics['cv_folds']}-fold GroupKFold on the {rows['train']} training gigs, "
        "the "
        "folds shared by every model; GridSearchCV over small grids (params.yaml freelance.train), each candidate a "
        "scikit-learn Pipeline (TF-IDF of the title + reliability + level), so each fold refits its own vocabulary and "
        "reliability prior. The Keras model is cross-validated on the same folds. The test split "
        f"({rows['test']} gigs) is scored once, for this table.",
        "What differs from the client's protocol: (1) exact duplicates are dropped and near-duplicate titles (the same "
        "seller's reworded gig; the file has no seller column) are kept on one side of the split and of every fold, "
        "where a random row split lets copies of a gig be both trained on and tested; (2) the outlier fence and the "
        "band edges come from the training prices only; (3) no value is imputed from the price: an unrated gig keeps "
        "the training mean rating and a gig without a badge the level `none`, where the client's KNN imputer fills "
        "them from the gigs closest in price (next section); (4) the Keras text input is a learnt LSA "
        "representation: " + keras_summary["text_representation"] + ".",
    ]
    results = selection_text(price_table, price_model, f"bands_{band_model}", DUMMY_REGRESSOR)
    results.append(
        band_order_text(predictions[f"price_{price_model}"].to_numpy(), predictions[f"band_{band_model}"].to_numpy())
    )
    results.append(
        f"The served {100 * summary['interval_coverage']:.0f} % interval "
        f"(± {summary['price'][price_model]['interval_half_width']:.2f} thousand PKR, from the out-of-fold errors) "
        f"covers {100 * scores[CHOSEN]['interval_coverage']:.1f} % of the test gigs."
    )
    keras_cv, chosen_cv = scores[KERAS]["mae_cv"], scores[CHOSEN]["mae_cv"]
    results.append(
        f"Keras two-head: CV MAE {keras_cv:.3f} against {chosen_cv:.3f} for {price_model}: "
        + (
            "lower on the folds, but it is not served (the API image carries no TensorFlow)."
            if keras_cv < chosen_cv
            else "not better on the folds."
        )
        + f" Test over {scores[KERAS]['seeds']} seeds: MAE {scores[KERAS]['mae']:.3f} "
        f"± {scores[KERAS]['mae_std']:.3f}, "
        f"band accuracy {scores[KERAS]['band_accuracy']:.3f} ± {scores[KERAS]['band_accuracy_std']:.3f}."
    )
    sections = [
        Section("Protocol", protocol),
        Section(
            "The client's table next to ours",
            [CLIENT_FILES, *client_comparison(scores, CHOSEN, KERAS, client)],
            tables=[("Client vs ours (thousands of PKR)", client_table)],
        ),
        Section(
            "The client's published protocol, re-run and changed one step at a time into ours",
            protocol_text(protocols, client),
            tables=[("The client's models at each step (mean ± std over seeds)", protocol_table(protocols))],
        ),
        Section("Targets on the test split", verdicts),
        Section(
            "Price models",
            results,
            tables=[("Price models: CV (training folds) and test", price_table)],
            figures=[drawn_price, scatter],
        ),
        Section(
            "Band models",
            [
                f"Band edges {prepared['band_edges'][0]:.3f} / {prepared['band_edges'][1]:.3f} thousand PKR "
                "(training terciles); the price models' `band_accuracy` is the band of their predicted price."
            ],
            tables=[("Band models: CV and test", band_table)],
            figures=[drawn_band, confusion],
        ),
    ]
    provenance = {
        "source": prepared["source"],
        "kind": prepared["kind"],
        "file": f"{prepared['path']} (sha256 {prepared['sha256'][:12]}…)",
        "rows": f"{rows['train']} train / {rows['test']} test gigs (prices in thousands of PKR, outliers removed)",
    }
    render_report(EVALUATION_REPORT, "Freelance-service pricing — model evaluation", provenance, sections)


def protocol_table(protocols: dict) -> pd.DataFrame:
    metrics = ("mae", "median_mae", "r2", "band_accuracy", "majority_accuracy", "band_macro_f1")

    def shown(entry: dict) -> str:
        return f"{entry['mean']:.3f} ± {entry['std']:.3f}"

    return pd.DataFrame(
        {
            step: {
                **{metric: shown(protocols[step][metric]) for metric in metrics},
                "test rows copied in training": f"{protocols[step]['test_rows_copied_in_training']:.3f}",
                "train / test rows": f"{protocols[step]['rows_train']} / {protocols[step]['rows_test']}",
            }
            for step in protocols["steps"]
        }
    ).T
