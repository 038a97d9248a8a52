"""The one way the bench summaries compare a figure with its reference.

Every benchmark measures its reference (c-ref, c-fanout, an idle connection,
the sendmsg path, ...) in the same run as the subject, round by round, with
the two back to back. On a shared, noisy machine the load moves between
rounds far more than between two runs of one round, so a comparison is made
within each round first and only then summarised:

    ratio      = median over rounds of (subject's figure / reference's figure)
    difference = median over rounds of (subject's figure - reference's figure)

A round counts only if both sides have a figure there (and, for a ratio, the
reference's is not zero). The alternative, the ratio of the two medians,
pairs a fast round of one side with a slow round of the other and moves with
whichever round happened to be slow.

Standard library only; imported by summarize.py, summarize_sessions.py and
summarize_rooms.py (they run from this directory, so a plain import finds it).
"""
import statistics


def per_round(subject, reference, op):
    """[(round, op(subject[r], reference[r]))] for the rounds both have, in
    round order. subject and reference map round -> figure (None = no figure)."""
    out = []
    for rnd in sorted(set(subject) & set(reference)):
        s, ref = subject[rnd], reference[rnd]
        if s is None or ref is None:
            continue
        value = op(s, ref)
        if value is not None:
            out.append((rnd, value))
    return out


def _ratio(s, ref):
    return s / ref if ref else None


def _difference(s, ref):
    return s - ref


def round_ratios(subject, reference):
    """Per-round ratios subject / reference: [(round, ratio)]."""
    return per_round(subject, reference, _ratio)


def round_differences(subject, reference):
    """Per-round differences subject - reference: [(round, difference)]."""
    return per_round(subject, reference, _difference)


def median_ratio(subject, reference):
    """Median of the per-round ratios, or None when no round has both."""
    values = [v for _, v in round_ratios(subject, reference)]
    return statistics.median(values) if values else None


def median_difference(subject, reference):
    """Median of the per-round differences, or None when no round has both."""
    values = [v for _, v in round_differences(subject, reference)]
    return statistics.median(values) if values else None
