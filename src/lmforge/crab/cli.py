"""``lmforge crab``: the verb table (each verb is a library function and its config)."""

from lmforge.verbs import Verb

VERBS = (
    Verb(
        "backtranslate",
        "lmforge.crab.backtranslate:backtranslate",
        "Write down the constraints each response already meets (rows: instruction, response).",
        config="lmforge.crab.backtranslate:BacktranslateConfig",
        show="lmforge.crab.backtranslate:show_backtranslate",
    ),
    Verb(
        "compose",
        "lmforge.crab.compose:compose",
        "Forward + reverse training conversations (TRL messages) from back-translated items.",
        config="lmforge.crab.compose:ComposeConfig",
    ),
    Verb(
        "ifeval",
        "lmforge.crab.evaluate:ifeval",
        "Score IFEval responses (strict/loose, prompt/instruction level), or a model's.",
        config="lmforge.crab.evaluate:IFEvalCommand",
    ),
    Verb(
        "followbench",
        "lmforge.crab.evaluate:followbench",
        "FollowBench HSR/SSR/CSL per level: rule-checked subsets by code, the rest by --judge.",
        config="lmforge.crab.evaluate:FollowBenchCommand",
    ),
    Verb(
        "train-sft",
        "lmforge.training.sft:sft",
        "Alias of `lmforge train sft`: SFT on the composed conversations (TRL SFTTrainer).",
        config="lmforge.training.sft:SFTRecipe",
    ),
)
