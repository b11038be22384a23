"""Sentence templates for the Python-generated constraints (own wording; official variant counts).

The official stage 1.3 draws one phrasing uniformly from a family per key; the family sizes are
kept (Digit 15/6/6/6, Sentence 14, Paragraph 15, Word 14, Keyword 15, Punctuation 5 per symbol) so
that the variety of the generated data matches. `WORD_AT_MOST` is ours: the fixed (non-quirk)
`Word` constraint states an upper bound, which the official code never phrases (quirk Q1).
Every template states its number next to an unambiguous cue word so that `parse_number_bound`
in `python_types` can read the parameters back from the text.
"""

from __future__ import annotations

__all__ = [
    "DIGIT_AROUND",
    "DIGIT_AT_LEAST",
    "DIGIT_AT_MOST",
    "DIGIT_RANGE",
    "KEYWORD",
    "PARAGRAPH",
    "PUNCTUATION",
    "SENTENCE",
    "WORD_AT_LEAST",
    "WORD_AT_MOST",
]

DIGIT_RANGE: tuple[str, ...] = (
    "Write between {min} and {max} words.",
    "Your answer should be between {min} and {max} words long.",
    "Keep the response within a range of {min} to {max} words.",
    "Use no fewer than {min} and no more than {max} words.",
    "The reply must contain from {min} to {max} words.",
    "Aim for a length of {min} to {max} words in total.",
    "Make the answer at least {min} words and at most {max} words.",
    "Respond in {min}-{max} words.",
    "Let the response run between {min} and {max} words.",
    "Your text should have a word count between {min} and {max}.",
    "Stay within {min} to {max} words for the whole answer.",
    "The answer needs at least {min} words but no more than {max} words.",
    "Produce a response of {min} to {max} words.",
    "Limit the length to between {min} and {max} words.",
    "Write a reply whose length falls between {min} and {max} words.",
)
DIGIT_AT_LEAST: tuple[str, ...] = (
    "Write at least {num} words.",
    "Your answer should contain at least {num} words.",
    "Use no fewer than {num} words in the response.",
    "The reply must be at least {num} words long.",
    "Make sure the response has a minimum of {num} words.",
    "Give an answer of {num} words or more.",
)
DIGIT_AT_MOST: tuple[str, ...] = (
    "Write at most {num} words.",
    "Your answer should contain no more than {num} words.",
    "Keep the response to a maximum of {num} words.",
    "The reply must not exceed {num} words.",
    "Use {num} words or fewer.",
    "Limit the answer to at most {num} words.",
)
DIGIT_AROUND: tuple[str, ...] = (
    "Write around {num} words.",
    "Your answer should be about {num} words long.",
    "Aim for roughly {num} words.",
    "The reply should contain approximately {num} words.",
    "Keep the length close to {num} words.",
    "Give an answer of around {num} words.",
)
SENTENCE: tuple[str, ...] = (
    "Each sentence should have at most {words} words.",
    "Keep every sentence to no more than {words} words.",
    "No sentence may exceed {words} words.",
    "Limit each sentence to a maximum of {words} words.",
    "Sentences must contain {words} words or fewer.",
    "Do not let any sentence run longer than {words} words.",
    "Every sentence in the reply should be at most {words} words long.",
    "Use sentences of no more than {words} words each.",
    "Cap the length of each sentence at {words} words.",
    "Write sentences that each stay within {words} words.",
    "A sentence in your answer must not exceed {words} words.",
    "Keep sentences short: at most {words} words apiece.",
    "Make each sentence {words} words or fewer.",
    "The maximum sentence length is {words} words.",
)
PARAGRAPH: tuple[str, ...] = (
    "Each paragraph should have at most {sentences} sentences.",
    "Keep every paragraph to no more than {sentences} sentences.",
    "No paragraph may exceed {sentences} sentences.",
    "Limit each paragraph to a maximum of {sentences} sentences.",
    "Paragraphs must contain {sentences} sentences or fewer.",
    "Do not put more than {sentences} sentences in any paragraph.",
    "Every paragraph in the reply should have at most {sentences} sentences.",
    "Use paragraphs of no more than {sentences} sentences each.",
    "Cap each paragraph at {sentences} sentences.",
    "Write paragraphs that each stay within {sentences} sentences.",
    "A paragraph in your answer must not exceed {sentences} sentences.",
    "Keep paragraphs brief: at most {sentences} sentences apiece.",
    "Make each paragraph {sentences} sentences or fewer.",
    "The maximum paragraph length is {sentences} sentences.",
    "Allow at most {sentences} sentences per paragraph.",
)
WORD_AT_LEAST: tuple[str, ...] = (
    "Each word should have at least {chars} characters.",
    "Every word in the answer must be at least {chars} characters long.",
    "Use only words of {chars} characters or more.",
    "No word may be shorter than {chars} characters.",
    "Words must contain a minimum of {chars} characters.",
    "Make each word at least {chars} characters in length.",
    "All words should have no fewer than {chars} characters.",
    "Write words that each have at least {chars} characters.",
    "The minimum word length is {chars} characters.",
    "Keep every word to a length of at least {chars} characters.",
    "Each word of the reply needs at least {chars} characters.",
    "Do not use words shorter than {chars} characters.",
    "Words in your response should reach at least {chars} characters.",
    "A word in the answer must have {chars} characters or more.",
)
WORD_AT_MOST: tuple[str, ...] = (
    "Each word should have at most {chars} characters.",
    "Every word in the answer must be at most {chars} characters long.",
    "Use only words of {chars} characters or fewer.",
    "No word may be longer than {chars} characters.",
    "Words must contain a maximum of {chars} characters.",
    "Make each word at most {chars} characters in length.",
    "All words should have no more than {chars} characters.",
    "Write words that each have at most {chars} characters.",
    "The maximum word length is {chars} characters.",
    "Keep every word to a length of at most {chars} characters.",
    "Each word of the reply may have at most {chars} characters.",
    "Do not use words longer than {chars} characters.",
    "Words in your response should not exceed {chars} characters.",
    "A word in the answer must have {chars} characters or fewer.",
)
KEYWORD: tuple[str, ...] = (
    "Include the keywords {keywords} in your answer.",
    "Make sure the response mentions {keywords}.",
    "Use the following keywords: {keywords}.",
    "Your reply must contain the keywords {keywords}.",
    "Work the keywords {keywords} into the response.",
    "Mention each of these keywords: {keywords}.",
    "The answer should include {keywords} as keywords.",
    "Be sure to use the terms {keywords}.",
    "Incorporate the keywords {keywords} into your answer.",
    "Your response needs to feature the keywords {keywords}.",
    "Include these terms somewhere in the reply: {keywords}.",
    "Do not leave out the keywords {keywords}.",
    "Write a response that uses the keywords {keywords}.",
    "Every one of these keywords must appear: {keywords}.",
    "Cover the keywords {keywords} in the answer.",
)
PUNCTUATION: dict[str, tuple[str, ...]] = {
    ",": (
        "Do not use any commas in your response.",
        "Your answer must not contain a comma.",
        "Write the reply without commas.",
        "Avoid commas entirely.",
        "No commas are allowed in the response.",
    ),
    ":": (
        "Do not use any colons in your response.",
        "Your answer must not contain a colon.",
        "Write the reply without colons.",
        "Avoid colons entirely.",
        "No colons are allowed in the response.",
    ),
    "?": (
        "Do not use any question marks in your response.",
        "Your answer must not contain a question mark.",
        "Write the reply without question marks.",
        "Avoid question marks entirely.",
        "No question marks are allowed in the response.",
    ),
    "!": (
        "Do not use any exclamation marks in your response.",
        "Your answer must not contain an exclamation mark.",
        "Write the reply without exclamation marks.",
        "Avoid exclamation marks entirely.",
        "No exclamation marks are allowed in the response.",
    ),
}
"""Official symbol order: the first symbol absent from the response is the one forbidden."""
