import pandas as pd

from bayres.jobs.dedup.evaluate import pairwise_scores


def test_pairwise_scores_count_pairs():
    truth = pd.DataFrame({"record_id": list("abcde"), "entity": ["x", "x", "x", "y", "y"]})
    # predicted: {a,b} {c} {d,e}: 2 of 4 true pairs found, no false pair
    pred = pd.DataFrame({"record_id": list("abcde"), "cluster": [1, 1, 2, 3, 3]})
    s = pairwise_scores(pred, truth)
    assert (s["true_pairs"], s["predicted_pairs"], s["correct_pairs"]) == (4, 2, 2)
    assert s["precision"] == 1.0 and s["recall"] == 0.5
    # everything in one cluster: all 10 pairs predicted, 4 right
    s = pairwise_scores(pred.assign(cluster=0), truth)
    assert s["precision"] == 0.4 and s["recall"] == 1.0
