"""Accuracy of de-duplication against a ground truth — for tests and benchmarks only.

The pipeline never reads ground truth; ``make bench`` and the tests hand it in here.
Pairwise scores: a pair of records is a true match when both belong to one true entity, a
predicted match when both belong to one golden record.
"""
from __future__ import annotations

import pandas as pd


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(predicted: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """``predicted``: (record_id, cluster column); ``truth``: (record_id, entity column).
    Only records present in both are scored."""
    pred_col = [c for c in predicted.columns if c != "record_id"][0]
    true_col = [c for c in truth.columns if c != "record_id"][0]
    both = predicted.merge(truth, on="record_id", how="inner")
    predicted_pairs = _pairs(both.groupby(pred_col).size())
    true_pairs = _pairs(both.groupby(true_col).size())
    correct = _pairs(both.groupby([pred_col, true_col]).size())
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"records": len(both), "predicted_pairs": predicted_pairs, "true_pairs": true_pairs,
            "correct_pairs": correct, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}
