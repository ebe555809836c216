"""Is the generator any good? FID, Inception Score and class coverage on minigan's own digit classifier.

    from minigan.evaluation import evaluate_samples, format_report
    print(format_report(evaluate_samples(images, "mnist")))   # images: (N, 1, 28, 28) in [-1, 1]

The package imports nothing from ``minigan.gan``: it scores arrays of images. Its parts, lowest first:

    statistics   FID, Inception Score, class coverage (pure NumPy, float64)
    images       checking arrays and reading samples files
    classifier   the LeNet-style DigitClassifier and its weights files
    scoring      classifier outputs, the test-set reference (cached), the real baseline, evaluate_samples
    report       the text ``minigan eval`` and the trainer print
    plots        metrics.png (matplotlib, optional)
    training     train_classifier, accuracy (``minigan train-classifier``)
"""

from .classifier import (DEFAULT_CHANNELS, FEATURE_DIM, FORMAT, WEIGHTS_DIR, DigitClassifier, dataset_name,
                         load_classifier, save_classifier, weights_path)
from .images import RANGE_TOLERANCE, load_samples, prepare_samples
from .plots import metrics_curve_png
from .report import eval_log_record, format_eval_line, format_report, format_score
from .scoring import (DEFAULT_N, classifier_outputs, clear_cache, evaluate_samples, real_baseline,
                      reference_statistics, scores)
from .statistics import (COVERAGE_THRESHOLD, IS_SPLITS, NUM_CLASSES, class_coverage, feature_statistics,
                         fid_from_features, frechet_distance, inception_score, softmax, sqrtm_psd,
                         trace_sqrt_product)
from .training import accuracy, train_classifier

__all__ = [
    "DEFAULT_CHANNELS", "FEATURE_DIM", "FORMAT", "WEIGHTS_DIR", "DigitClassifier", "dataset_name", "load_classifier",
    "save_classifier", "weights_path", "RANGE_TOLERANCE", "load_samples", "prepare_samples", "metrics_curve_png",
    "eval_log_record", "format_eval_line", "format_report", "format_score", "DEFAULT_N", "classifier_outputs",
    "clear_cache", "evaluate_samples", "real_baseline", "reference_statistics", "scores", "COVERAGE_THRESHOLD",
    "IS_SPLITS", "NUM_CLASSES", "class_coverage", "feature_statistics", "fid_from_features", "frechet_distance",
    "inception_score", "softmax", "sqrtm_psd", "trace_sqrt_product", "accuracy", "train_classifier",
]
