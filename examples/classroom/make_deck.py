"""Build the small example deck used by `make demo` and the README (our own content, CC0).

python examples/classroom/make_deck.py [OUT.pptx]
"""

from __future__ import annotations

import sys
from pathlib import Path

from pptx import Presentation

SLIDES = [
    ("How Plants Make Food", ["An introduction to photosynthesis"], "Welcome the class."),
    (
        "What Plants Need",
        ["Sunlight", "Water from the roots", "Carbon dioxide from the air"],
        "Ask who has watered a plant.",
    ),
    (
        "Where It Happens",
        [
            "Leaves hold chloroplasts",
            "Chlorophyll makes leaves green",
            "Chlorophyll captures light energy",
        ],
        "",
    ),
    (
        "The Overall Reaction",
        ["carbon dioxide + water -> glucose + oxygen", "Light provides the energy"],
        "Write the equation on the board.",
    ),
    (
        "What Plants Do With Glucose",
        ["Energy for growth", "Stored as starch", "Built into cellulose for cell walls"],
        "",
    ),
    (
        "Why It Matters",
        [
            "Nearly all food chains start with plants",
            "Photosynthesis releases the oxygen we breathe",
        ],
        "",
    ),
    (
        "Summary",
        ["Light + water + CO2 -> sugar + oxygen", "It happens in chloroplasts"],
        "Recap and invite questions.",
    ),
]


def build(path: Path) -> Path:
    deck = Presentation()
    for title, bullets, notes in SLIDES:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = bullets[0]
        for line in bullets[1:]:
            body.add_paragraph().text = line
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    path.parent.mkdir(parents=True, exist_ok=True)
    deck.save(str(path))
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("plants.pptx")
    print(build(target))
