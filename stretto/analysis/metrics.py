"""All metrics of one piece in one flat dict (:func:`analyse`), and the headline metrics the
report and the summary show, with the direction in which each is better."""

from __future__ import annotations

from stretto.score import Piece

# name -> (group, better: "high" | "low" | None, short description)
HEADLINE: dict[str, tuple[str, str | None, str]] = {
    "hard_per_100": ("rules", "low", "hard rule violations per 100 notes"),
    "soft_per_100": ("rules", "low", "soft rule violations per 100 notes"),
    "voice_leading_per_100": ("rules", "low", "parallels, direct fifths/octaves, unisons, "
                              "crossings, overlaps per 100 notes"),
    "parallel_perfect_per_1000": ("rules", "low",
                                  "parallel fifths/octaves per 1,000 voice-pair successions"),
    "independence_min": ("independence", "high", "least independent pair, (1 - r)/2"),
    "independence_mean": ("independence", "high", "mean pair independence"),
    "onset_synchrony": ("independence", None, "share of shared onsets"),
    "contrary": ("independence", "high", "contrary-motion share"),
    "parallel": ("independence", "low", "parallel-motion share"),
    "crossing": ("independence", "low", "share of simultaneities with crossed voices"),
    "step": ("melody", None, "stepwise share of melodic intervals"),
    "leap_recovery": ("melody", "high", "leaps recovered by contrary step"),
    "single_climax": ("melody", "high", "voices with a single climax"),
    "interval_oa_bach": ("melody", "high", "interval histogram OA with Bach's voice"),
    "chord_share": ("harmony", "high", "beats forming a recognised chord"),
    "nct_treated": ("harmony", "high", "non-chord tones treated by step"),
    "progression_loglik": ("harmony", "high", "chord-bigram log2-likelihood per change"),
    "cadence_share": ("harmony", "high", "phrase ends closed by a cadence"),
    "cadence_plan": ("structure", "high", "cadence plan adherence"),
    "key_stability": ("structure", "high", "two-bar windows in the global key"),
    "key_related": ("structure", "high", "windows in closely related keys"),
    "motif_recurrence": ("structure", None, "recurring 4-note segments"),
    "phrase_regularity": ("structure", "high", "1 - CV of phrase lengths"),
    "oa_pitch_class": ("distribution", "high", "pitch-class histogram OA with Bach"),
    "oa_interval": ("distribution", "high", "interval histogram OA with Bach"),
    "oa_ioi": ("distribution", "high", "inter-onset histogram OA with Bach"),
    "tension_mean": ("tension", None, "mean tension per beat (spiral array, dissonance, "
                     "register, density; 0-1)"),
    "tension_sd": ("tension", None, "spread of the tension curve"),
    "tension_jump_mean": ("tension", None, "continuity: mean beat-to-beat tension jump"),
    "tension_jump_p95": ("tension", None, "continuity: 95th percentile tension jump"),
    "tension_lag1": ("tension", None, "continuity: lag-1 autocorrelation of the tension"),
}


def analyse(piece: Piece, *, check_settings=None, reference: dict | None = None,
            held_out_fold: int | None = None) -> dict:
    """Every metric of ``piece``: ``{"metrics": {name: float|None}, "rules": {rule: per_100},
    "severity": {rule: kind}, "detail": {...per voice and pair...}}``.

    ``reference`` defaults to Bach's (:func:`stretto.analysis.reference.load_reference`);
    ``held_out_fold`` is the fold of a Bach chorale, scored by a chord model without it.
    """
    from stretto.analysis.distribution import closeness
    from stretto.analysis.harmony import beat_chords, harmonic_validity
    from stretto.analysis.independence import voice_independence
    from stretto.analysis.melody import melodic_integrity
    from stretto.analysis.reference import load_reference
    from stretto.analysis.rules import parallel_perfects, rule_compliance
    from stretto.analysis.structure import structural_coherence
    from stretto.analysis.tension import tension_metrics
    from stretto.analysis.view import note_count

    reference = reference if reference is not None else load_reference()
    metrics: dict = {"notes": float(note_count(piece)), "voices": float(len(piece.voices))}
    rules = rule_compliance(piece, check_settings)
    metrics["hard_per_100"] = rules["hard_per_100"]
    metrics["soft_per_100"] = rules["soft_per_100"]
    metrics["voice_leading_per_100"] = rules["voice_leading_per_100"]
    parallels = parallel_perfects(piece)
    metrics.update({k: v for k, v in parallels.items() if k != "parallel_perfect_at"})
    ind = voice_independence(piece)
    mel = melodic_integrity(piece, reference)
    har = harmonic_validity(piece, reference, held_out_fold)
    struct = structural_coherence(piece, beat_chords(piece))
    for d in (ind, mel, har, struct):
        metrics.update({k: v for k, v in d.items()
                        if isinstance(v, (int, float)) or v is None})
    metrics.update(closeness(piece, reference))
    metrics.update(tension_metrics(piece))
    detail = {"pairs": ind["pairs"], "voices": mel["voices"], "cadences": har["cadences"],
              "key": struct.get("key"), "rule_set": rules["rule_set"],
              "parallel_perfect_at": parallels["parallel_perfect_at"]}
    return {"metrics": {k: (None if v is None else float(v)) for k, v in metrics.items()},
            "rules": rules["by_rule"], "severity": rules["severity"], "detail": detail}
