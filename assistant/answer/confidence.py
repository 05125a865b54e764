"""Whether the corpus answers a question at all.

Cosines of different models live on different scales (e5-small crowds on-topic answers into
0.78-0.92 and off-topic questions into 0.70-0.82), and they shift with the question's language,
so no fixed cosine separates answered from unanswered questions. The rule compares the corpus
with *unrelated text*, a fixed background bank of everyday passages (``encoding.banks``)::

    margin = best corpus score - mean of the 3 best background scores

and asks how that margin compares with the margins *unrelated* questions get on this same
index: the bank's texts asked as questions, measured per language when the index is built
(``indexing.calibration``). An answer is confident when its margin beats
``Config.confidence_quantile`` of them: a false-positive rate, the same for any model.

>>> import numpy as np
>>> round(margin(0.9, np.array([1.0, 0.0]), np.array([[0.8, 0.6], [0.6, 0.8]])), 3)
0.2
"""

from __future__ import annotations

import numpy as np

BACKGROUND_TOP = 3
"""How many of the best background texts the margin is taken against (not tuned)."""


def margin(best: float, query: np.ndarray, background: np.ndarray) -> float:
    """How far the corpus's best score lies above the background bank's best few."""
    if background.size == 0:
        return best
    scores = np.sort(background @ query)[::-1][:BACKGROUND_TOP]
    return float(best - scores.mean())
