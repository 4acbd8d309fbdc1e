"""Tips for the classifiers, built through the real intake contract (`TipIn` -> `tip_service.build_tip`), and
the pieces of text property tests glue into narratives."""

from __future__ import annotations

from typing import Any

from hotline.core.actor import system_actor
from hotline.tips import service as tip_service
from hotline.tips.schemas import TipIn


def build(narrative: str | None = None, persons: list[dict[str, Any]] | None = None, **fields: Any):
    payload: dict[str, Any] = {"received_at": "2026-10-15T14:00:00-05:00", **fields}
    if narrative is not None:
        payload["narrative"] = narrative
    payload["persons"] = persons or []
    return tip_service.build_tip(tip_in=TipIn.model_validate(payload), actor=system_actor("test"))


# Words and pieces the readers react to (ages, teen words, negations, Spanish), glued in any order.
FRAGMENTS = [
    *"abcdeilmnorstuyáéñÑİ 0123456789.,;:!?'\"-$/()\n",
    *[
        "year-old",
        " años",
        " y/o",
        " she's ",
        " tiene ",
        " de ",
        " not ",
        " no ",
        " minor",
        " niña",
        "n\u0303",
    ],
    *[" since she was ", " a los ", " school", " escort", " gun", " hace ", " 15", " locked in", " teen"],
]
