"""CRAB's constraint library: the taxonomy, the Python-written constraints and their checkers.

from lmforge.crab.constraints import python_constraints, from_llm
cons = python_constraints(response, random.Random(0))   # all pass on `response`
from_llm("Specific_Sentence", "Begin with 'Dear team,'").check(response)  # True/False/None
"""

from .base import (
    GLOBAL_KEYS,
    LOCAL_KEYS,
    PYTHON_KEYS,
    REVERSE_TYPES,
    Constraint,
    GenericConstraint,
)
from .factory import constraint_from_dict, constraints_from_item, from_llm
from .python_rules import python_constraints, yake_keywords
from .python_types import (
    DigitConstraint,
    KeywordConstraint,
    ParagraphConstraint,
    PunctuationConstraint,
    SentenceConstraint,
    WordConstraint,
)
from .tokens import (
    ResponseView,
    detect_language_code,
    sentence_tokenize,
    view_of,
    word_tokenize,
)
from .verifiable import (
    DesiredWritingStyle,
    HierarchicalInstructions,
    ItemListingConstraint,
    KeyFormattingConstraint,
    MorphologicalConstraint,
    MultilingualConstraint,
    ParagraphsConstraint,
    SemanticElements,
    SpecialOutputFormatConstraint,
    SpecificSentenceConstraint,
)

__all__ = [
    "GLOBAL_KEYS",
    "LOCAL_KEYS",
    "PYTHON_KEYS",
    "REVERSE_TYPES",
    "Constraint",
    "DesiredWritingStyle",
    "DigitConstraint",
    "GenericConstraint",
    "HierarchicalInstructions",
    "ItemListingConstraint",
    "KeyFormattingConstraint",
    "KeywordConstraint",
    "MorphologicalConstraint",
    "MultilingualConstraint",
    "ParagraphConstraint",
    "ParagraphsConstraint",
    "PunctuationConstraint",
    "ResponseView",
    "SemanticElements",
    "SentenceConstraint",
    "SpecialOutputFormatConstraint",
    "SpecificSentenceConstraint",
    "WordConstraint",
    "constraint_from_dict",
    "constraints_from_item",
    "detect_language_code",
    "from_llm",
    "python_constraints",
    "sentence_tokenize",
    "view_of",
    "word_tokenize",
    "yake_keywords",
]
