"""What the book's SiGAH is: its name in tables, and the note of how it departs from the paper.

The SiGAH the book trains by default is not the paper's Eq. 20 as printed: it feeds the generator
stochastic binary codes instead of the relaxation ``tanh(u)``, and it adds a balance/decorrelation
penalty of weight ``λ_bd`` (chapter *Hash learning*; the appendix on SiGAH's defaults says how they
were chosen). Tables name its rows :data:`SIGAH_ROW`, and :func:`departures_note` states the
departures, read from the class defaults so that the note follows them.
"""

from __future__ import annotations

from sigah.studies.wording import Prose

__all__ = ["SIGAH_ROW", "PRINTED_ROW", "STOCHASTIC_SGH_ROW", "PRINTED_EQ20", "row_label", "departures_note"]

#: the row name of SiGAH at the book's defaults, beside the paper's SiGAH
SIGAH_ROW = "SiGAH (book defaults)"
#: the row name of SiGAH trained on the paper's Eq. 20 as printed (both departures removed)
PRINTED_ROW = "SiGAH (Eq. 20 as printed)"
#: the settings that remove both departures: the relaxation fed to the generator, no λ_bd penalty
PRINTED_EQ20 = {"generator_input": "relaxed", "decorrelation": 0.0}
#: the row name of SGH with the SGH paper's doubly stochastic neuron
STOCHASTIC_SGH_ROW = "SGH (stochastic neuron)"
_PRINTED_LABEL = "SiGAH (" + ", ".join(f"{k}={v}" for k, v in PRINTED_EQ20.items()) + ")"


def row_label(label: str) -> str:
    """A table row's display name: SiGAH's becomes :data:`SIGAH_ROW`, SiGAH run with
    :data:`PRINTED_EQ20` becomes :data:`PRINTED_ROW`, SGH with the stochastic neuron
    :data:`STOCHASTIC_SGH_ROW`; others are unchanged."""
    return {"SiGAH": SIGAH_ROW, _PRINTED_LABEL: PRINTED_ROW, "SGH (neuron=stochastic)": STOCHASTIC_SGH_ROW}.get(label, label)


def departures_note(*, generator_input: str | None = None, decorrelation: float | None = None) -> Prose:
    """One line naming how SiGAH at the book's defaults departs from the paper's Eq. 20 as printed.

    Parameters
    ----------
    generator_input, decorrelation : optional
        The settings to describe; ``None`` reads the class default.

    Returns
    -------
    Prose
    """
    from sigah.hashers.sigah import SiGAH

    defaults = SiGAH().get_params()
    source = defaults["generator_input"] if generator_input is None else generator_input
    weight = defaults["decorrelation"] if decorrelation is None else decorrelation
    departures = []
    if source != "relaxed":
        departures.append(f"its generator is fed {source} binary codes drawn from tanh(u) instead of the "
                          "relaxation tanh(u) itself")
    if weight:
        departures.append(f"it adds the balance/decorrelation penalty with weight λ_bd = {weight:g}")
    if not departures:
        return Prose(f"*{SIGAH_ROW}*: the paper's Eq. 20 as printed, with the loss weights of the appendix.")
    joined = " and ".join(departures)
    count = "one way" if len(departures) == 1 else f"{len(departures)} ways"
    return Prose(f"*{SIGAH_ROW}* departs from the paper's Eq. 20 as printed in {count}: {joined} "
                 "(chapter *Hash learning*).")
