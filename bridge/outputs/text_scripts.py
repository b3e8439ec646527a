"""What free-text columns add to a table's exported scripts (``bridge.outputs.scripts`` calls these).

scikit-learn's script gets the run's TF-IDF branches beside the table's preprocessing (``bridge.problem.text.tfidf_branch``).
PyTorch's gets the tokenizer written out, with the regex, the reserved ids and the word count threshold taken from
``bridge.problem.text`` itself so the two cannot drift apart, and the text network (``bridge.models.text_net.TextNet``,
layer for layer and name for name, so the run's checkpoint loads into it) with each of its encoders. The data code is
``templates/text_data.py.txt``; ``templates/table_inputs.py.txt`` holds the two spots where a table's data code differs.
"""

from __future__ import annotations

from bridge.io import limits
from bridge.models.text_net import CONV_WIDTH
from bridge.outputs.script_templates import literal, sections
from bridge.problem.text import EMPTY, MIN_WORD_COUNT, PAD, RESERVED, TOKEN, UNKNOWN

IMPORTS = {"sklearn": ["from sklearn.feature_extraction.text import TfidfVectorizer", "from sklearn.pipeline import FeatureUnion"],
           "pytorch": []}
STDLIB = {"sklearn": [], "pytorch": ["import re", "from collections import Counter"]}
# The lines that model_args gains in train_pytorch.py: the text network's shape and the layout of its input, as Bridge stores them.
MODEL_ARGS = '    model_args |= {"text": TEXT_CONFIG, "layout": text_layout(data)}  # the text network also keeps its shape and input layout\n'


def data_hooks(side: str, text: bool) -> dict[str, str]:
    """The end of make_problem() and of prepare() in table_data.py.txt: a plain table's, or a text run's for ``side``."""
    parts = sections("table_inputs.py.txt")
    if not text:
        return {"features_return": parts["features table"], "inputs": parts["inputs table"]}
    return {"features_return": parts["features text"], "inputs": parts[f"inputs text {side}"]}


def data_code(side: str) -> str:
    """The text functions a side's script defines: cleaning the texts, then TF-IDF (scikit-learn) or the tokenizer (PyTorch)."""
    parts = sections("text_data.py.txt")
    return parts["both"] + "\n\n\n" + parts[side]


def _pattern_code(pattern: str) -> str:
    """``re.compile`` of the pattern as a raw string, the way a person would write it (repr where a raw string cannot hold it)."""
    if '"' in pattern or pattern.endswith("\\") or "\n" in pattern:
        return f"re.compile({pattern!r})"
    return f're.compile(r"{pattern}")'


def settings(columns: list[str], config: dict, side: str) -> list[tuple[str, str, str]]:
    """The text settings a side's script starts with (``NAME, code, why``), all from the run and from Bridge's own constants."""
    text = config["text"]
    kept = "terms each TF-IDF keeps (words, then character n-grams)" if side == "sklearn" else "words the tokenizer keeps"
    items = [("TEXT", literal(columns), "free-text columns: TF-IDF counts for scikit-learn, learned word vectors for PyTorch"),
             ("MAX_TEXT_CHARS", literal(limits.MAX_TEXT_CHARS), "a longer text is cut here, as Bridge cut it"),
             ("VOCABULARY", literal(text["vocabulary"]), f"{kept}, the most frequent in the training rows")]
    if side == "pytorch":
        items += [
            ("MAX_TOKENS", literal(text["max_tokens"]), "tokens the network reads per text; the rest of a longer text is cut off"),
            ("MIN_WORD_COUNT", literal(MIN_WORD_COUNT), "a word seen fewer times in the training rows reads as UNKNOWN"),
            ("PAD, UNKNOWN, EMPTY", ", ".join(map(str, (PAD, UNKNOWN, EMPTY))), "reserved ids: padding, an unknown word, a text without words"),
            ("RESERVED", literal(RESERVED), "their names, the first words of the vocabulary"),
            ("TOKEN", _pattern_code(TOKEN.pattern), "a token: letters or digits (inner apostrophes kept), one CJK or kana character, or one symbol"),
            ("CONV_WIDTH", literal(CONV_WIDTH), "words the conv encoder looks at together"),
        ]
    return items


def network_settings(config: dict) -> list[tuple[str, str, str]]:
    """NETWORK_CONFIG and TEXT_CONFIG for the text network, as its checkpoint stores them (max_tokens and vocabulary by name)."""
    linked = {"max_tokens": "MAX_TOKENS", "vocabulary": "VOCABULARY"}
    text = "{" + ", ".join(f"{key!r}: {linked.get(key) or literal(value)}" for key, value in config["text"].items()) + "}"
    return [("NETWORK_CONFIG", literal(config["mlp"]), "the MLP after the word vectors: its width and dropout (hidden layers: TEXT_CONFIG's)"),
            ("TEXT_CONFIG", text, "the text network: encoder (bag, conv or transformer), size of a word vector, hidden layers")]
