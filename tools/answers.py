"""Answers to side questions from `knowledge/texts`, without an LLM.

Why: a question ("what is LoRA?", "how much will it cost?") deserves a short answer, not the
whole reference page, and it must work with `--llm none`. The texts are split into sections by
their `##` headings and ranked with BM25 over the words of the title and body; the best section
is the answer and its name is cited. With an LLM, `grounded_prompt` hands the model the same
top sections so that it rephrases them rather than inventing.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from knowledge import reference_names, reference_text

# The prompt lives here (not in graph/prompts.py) because it is built from this module's sections.
ANSWER_PROMPT = """You answer a question from someone fine-tuning a language model with tuning-agent.
Answer ONLY from the reference sections below; if they do not cover the question, say so in one
sentence and name what they do cover. Keep it short: a paragraph or up to five bullets. End with
"(Source: SECTION)" naming the section you used.

{sections}

Question: {question}
"""

MAX_CHARS = 700  # a paragraph or a few bullets: enough to answer, short enough to read at a card

_STOP = frozenset(re.findall(r"\w+",
    "a an the is are was be to of in on for and or with do does did i my me we you your it this that "
    "what which how why when where who can could should would will there their them as at by from if "
    "so about into than then any some tell please need want get use using vs versus many"))

# Everyday words mapped onto the words the texts use, so "how much" finds the cost section.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "much": ("cost", "price"), "expensive": ("cost", "price"), "cheap": ("cost", "price"),
    "cheaper": ("cost",), "pay": ("cost", "billed"), "bill": ("cost", "billed"), "billing": ("cost", "billed"),
    "money": ("cost",), "dollar": ("cost",), "price": ("cost",),
    "long": ("time", "take"), "fast": ("time",), "slow": ("time",), "hour": ("time",), "minute": ("time",),
    "duration": ("time", "take"),
    "lora": ("peft", "adapter"), "peft": ("lora", "adapter"), "rank": ("adapter", "size"),
    "gemini": ("open", "gemini"), "open": ("open", "gemini"), "gemma": ("open",), "llama": ("open",),
    "qwen": ("open",), "epoch": ("epoch",), "lr": ("learning", "rate"),
    "holdout": ("validation", "split"), "eval": ("validation",), "evaluation": ("validation",),
    "bucket": ("storage",), "buckets": ("storage",), "gcs": ("storage", "bucket"),
    "location": ("region",), "zone": ("region",),
    "serve": ("deploy",), "serving": ("deploy",), "endpoint": ("deploy",), "host": ("deploy",),
    "jsonl": ("format",), "csv": ("format",), "schema": ("format",), "shape": ("format",),
    "laptop": ("local",), "offline": ("local",), "cpu": ("local",), "account": ("local", "cloud"),
    "install": ("gcloud", "setup"), "gcloud": ("setup",), "environment": ("setup", "checklist"),
    "permission": ("roles",), "iam": ("roles",),
    "overfit": ("overfitting",), "memorise": ("overfitting",), "memorize": ("overfitting",),
    "finetune": ("fine", "tuning"), "finetuning": ("fine", "tuning"),
}


@dataclass(frozen=True)
class Section:
    """One `##` section of a reference text."""

    doc: str  # file stem, e.g. `tuning_concepts`
    doc_title: str  # the file's `#` title
    title: str  # the section's `##` heading
    body: str

    @property
    def name(self) -> str:
        """How an answer cites it: `Tuning concepts › Epochs`."""
        return f"{self.doc_title} › {self.title}" if self.title != self.doc_title else self.doc_title


@dataclass(frozen=True)
class Answer:
    """A short answer and the section it came from (`source` is empty when nothing matched)."""

    text: str
    source: str

    @property
    def found(self) -> bool:
        return bool(self.source)

    def render(self) -> str:
        """The answer as shown in the chat, naming its source."""
        return f"{self.text}\n(Source: {self.source})" if self.source else self.text


def split_sections(doc: str, markdown: str) -> list[Section]:
    """The `##` sections of one markdown text; text before the first `##` is a section titled by `#`."""
    doc_title = doc.replace("_", " ").capitalize()
    sections: list[Section] = []
    title: str | None = None
    lines: list[str] = []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            sections.append(Section(doc, doc_title, title or doc_title, body))

    for line in markdown.splitlines():
        if line.startswith("# ") and not sections and title is None:
            doc_title = line[2:].strip()
            continue
        if line.startswith("## "):
            flush()
            title, lines = line[3:].strip(), []
            continue
        lines.append(line)
    flush()
    return sections


@lru_cache(maxsize=1)
def all_sections() -> tuple[Section, ...]:
    """Every section of every reference text (read once)."""
    return tuple(s for name in reference_names() for s in split_sections(name, reference_text(name)))


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "s", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(text: str, *, expand: bool = False) -> list[str]:
    """Lower-cased, stemmed content words; `expand` adds the synonyms questions need."""
    out: list[str] = []
    low = re.sub(r"\bset(?:ting)?[- ]up\b", "setup", text.lower()).replace("fine-tun", "finetun")
    for raw in re.findall(r"[a-z0-9]+", low):
        if raw in _STOP or len(raw) < 2:
            continue
        word = _stem(raw)
        out.append(word)
        if expand:
            out.extend(_stem(s) for s in _SYNONYMS.get(raw, _SYNONYMS.get(word, ())))
    return out


class _Index:
    """BM25 over sections; the title counts three times so that a heading match wins."""

    K1, B = 1.2, 0.75

    def __init__(self, sections: tuple[Section, ...]) -> None:
        self.sections = sections
        self.docs = [Counter(terms(f"{s.title} " * 3 + s.body)) for s in sections]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / max(len(self.lengths), 1)
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def score(self, query: list[str], i: int) -> float:
        doc, length, total = self.docs[i], self.lengths[i], 0.0
        for term in set(query):
            tf = doc.get(term, 0)
            if tf:
                norm = tf * (self.K1 + 1) / (tf + self.K1 * (1 - self.B + self.B * length / self.avg))
                total += self.idf[term] * norm * query.count(term)
        return total


@lru_cache(maxsize=1)
def _index() -> _Index:
    return _Index(all_sections())


#: The share of a question's weight (its words by IDF) a section must cover to answer it at all.
MIN_COVERAGE = 0.5
#: Words that phrase a question without naming its subject ("what does X mean?"): not weighed for coverage.
_PHRASING = frozenset(re.findall(r"\w+", "mean meant meaning explain work happen have has "
                                                          "thing stuff exactly actually really know like say kind "
                                                          "sort okay just ok idea support available possible"))


def coverage(question: str, i: int) -> float:
    """How much of the question section `i` speaks to: the IDF-weighted share of the question's own words
    found in it (a word counts when it or one of its synonyms is there).

    Why: BM25 ranks whatever shares a word, so "what does strip-control do?" would be answered by the
    one section that says "control". A word no section uses weighs the most, so a question about
    something the notes never mention falls below `MIN_COVERAGE` and is told so."""
    index = _index()
    unseen = math.log(1 + (len(index.docs) + 0.5) / 0.5)  # the weight of a word in no section
    doc = index.docs[i]
    got = total = 0.0
    for word in dict.fromkeys(w for w in terms(question) if w not in _PHRASING):
        alternatives = [word, *(_stem(s) for s in _SYNONYMS.get(word, ()))]
        weight = index.idf.get(word, unseen)
        total += weight
        if any(doc.get(w) for w in alternatives):
            got += weight
    return got / total if total else 0.0


def rank(question: str, k: int = 3, floor: float = MIN_COVERAGE) -> list[tuple[Section, float]]:
    """The `k` best sections for a question, best first, with their scores (only sections that speak to
    the question: a score above zero and at least `floor` of its words, see `coverage`)."""
    index = _index()
    query = terms(question, expand=True)
    scored = [(index.sections[i], index.score(query, i)) for i in range(len(index.sections))
              if coverage(question, i) >= floor]
    scored = [pair for pair in scored if pair[1] > 0]
    scored.sort(key=lambda pair: -pair[1])
    return scored[:k]


def shorten(body: str, limit: int = MAX_CHARS) -> str:
    """The body cut at a paragraph or bullet boundary before `limit` characters."""
    if len(body) <= limit:
        return body
    kept: list[str] = []
    size = 0
    for line in body.splitlines():
        starts_block = line.startswith(("- ", "1", "2", "3", "4", "5", "6", "7", "8", "9")) or not line.strip()
        if size + len(line) > limit and kept and starts_block:
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept).rstrip() + "\n…"


def topics() -> list[str]:
    """The section names, for "I can answer about …" when nothing matches."""
    return [s.name for s in all_sections()]


#: A request for help rather than a pointed question ("I need help with my data"): it gets the two
#: best sections of the same text (e.g. the formats and the column mapping), still short.
_BROAD = re.compile(r"\b(help|stuck|confused|trouble)\b", re.I)


def answer(question: str) -> Answer:
    """A short answer from the best-matching section, naming it; a list of topics when none matches."""
    # A request for help names its subject loosely ("help with my data — it has three columns"): no floor.
    best = rank(question, k=2, floor=0.0 if _BROAD.search(question) else MIN_COVERAGE)
    if not best:
        docs = list(dict.fromkeys(s.doc_title.replace("`", "") for s in all_sections()))
        return Answer("I have no notes on that. I can answer questions about: " + "; ".join(docs) + ".", "")
    section = best[0][0]
    if _BROAD.search(question) and len(best) > 1 and best[1][0].doc == section.doc:
        second = best[1][0]
        first_text, second_text = (shorten(s.body, MAX_CHARS // 2 + 100) for s in (section, second))
        return Answer(f"{first_text}\n\n{second_text}", f"{section.name}; {second.title}")
    return Answer(shorten(section.body), section.name)


def grounded_prompt(question: str, k: int = 3) -> str:
    """The LLM prompt for a question, carrying the `k` best sections (or every title when none match)."""
    best = [s for s, _ in rank(question, k)]
    blocks = [f"[{s.name}]\n{s.body}" for s in best] or ["Topics covered: " + "; ".join(topics())]
    return ANSWER_PROMPT.format(sections="\n\n".join(blocks), question=question.strip())
