"""Numbers from labels and scores: per-run scores and thresholds (scores) and the study's
statistics, bootstrap intervals, paired tests and verdict rules (stats). numpy, scipy and
scikit-learn only; nothing here loads a model.
"""
