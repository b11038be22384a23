"""Build the evidence tagger's example documents from ``evidence_source.txt``.

The source holds hand-written sentences with inline marks (``{word|PS+}`` an event trigger,
``[word]`` an evidence word of the line's non-factual event); this script writes them as
MAVEN-Fact documents (``tokens``, ``events[].mention[]`` with ``factuality``, ``evidence_word``
and ``evidence_offset`` as ``[sent_id, token]`` pairs) into ``evidence_train.jsonl`` and
``evidence_test.jsonl``. Run it after editing the source::

    python examples/mavenfact/build_evidence.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TRIGGER = re.compile(r"^\{(?P<word>[^|}]+)(?:\|(?P<label>CT\+|CT-|PS\+|PS-|Uu))?\}$")
CUE = re.compile(r"^\[(?P<word>[^\]]+)\]$")


def _sentence(line: str, sent_id: int) -> tuple[list[str], list[dict], list[list[int]]]:
    tokens, triggers, cues = [], [], []
    for i, raw in enumerate(line.split()):
        if hit := TRIGGER.match(raw):
            triggers.append((i, hit["word"], hit["label"] or "CT+"))
            tokens.append(hit["word"])
        elif hit := CUE.match(raw):
            cues.append([sent_id, i])
            tokens.append(hit["word"])
        else:
            tokens.append(raw)
    if sum(label != "CT+" for _, _, label in triggers) > 1:
        raise SystemExit(f"more than one non-CT+ event in: {line}")
    mentions = [{"trigger_word": w, "sent_id": sent_id, "offset": [i, i + 1], "factuality": lab}
                for i, w, lab in triggers]  # fmt: skip
    return tokens, mentions, cues


def _document(doc_id: str, lines: list[str]) -> dict:
    tokens, events = [], []
    for s, line in enumerate(lines):
        toks, mentions, cues = _sentence(line, s)
        tokens.append(toks)
        for m in mentions:
            n = len(events) + 1
            evidence = cues if m["factuality"] != "CT+" and cues else None
            words = [toks[t] for _, t in evidence] if evidence else None
            m = {"id": f"{doc_id}-E{n}", **m, "evidence_word": words, "evidence_offset": evidence}
            events.append({"id": f"E{n}", "type": None, "mention": [m], "arguments": []})
    sentences = [" ".join(t) for t in tokens]
    return {"id": doc_id, "title": doc_id.replace("_", " "), "document": " ".join(sentences),
            "tokens": tokens, "sentences": sentences, "has_arguments": False, "events": events,
            "TIMEX": [], "temporal_relations": {}, "causal_relation": {},
            "subevent_relations": []}  # fmt: skip


def build(source: Path) -> dict[str, list[dict]]:
    parts: dict[str, list[dict]] = {}
    part, doc, lines = None, None, []
    for raw in [*source.read_text("utf-8").splitlines(), "# doc: END"]:
        line = raw.strip()
        if line.startswith("# doc:") or line.startswith("# split:"):
            if doc is not None and lines:
                parts.setdefault(part, []).append(_document(doc, lines))
            doc, lines = None, []
            if line.startswith("# split:"):
                part = line.split(":", 1)[1].strip()
            else:
                doc = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#"):
            lines.append(line)
    return parts


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "evidence_source.txt"
    for part, docs in build(source).items():
        target = HERE / f"evidence_{part}.jsonl"
        target.write_text("".join(json.dumps(d) + "\n" for d in docs), "utf-8")
        print(f"{target.name}: {len(docs)} documents")


if __name__ == "__main__":
    main()
