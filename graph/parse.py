"""Deterministic reading of what people type: the `llm=none` path, and the check on the LLM.

Each function looks for one kind of fact and returns None when it is not there, so that
a message can carry several facts at once ("use gemini in us-central1 with data.csv").
"""

from __future__ import annotations

import re

from graph.consent import hesitates
from knowledge import find_model, load_catalog

_YES = re.compile(r"^\s*(y|yes|yeah|yep|sure|ok|okay|approve[d]?|go( ahead)?|do it|confirm(ed)?|correct|"
                  r"right|fine|sounds good|please do|let'?s go|submit|deploy|watch)\b(?!-)[\s.!]*", re.I)
_NO = re.compile(r"^\s*(n|no|nope|nah|reject|decline|cancel|don'?t|do not|skip|stop|not now|never mind)\b",
                 re.I)
_QUESTION_START = re.compile(r"^\s*(what|why|how|which|when|where|who|can|could|should|is|are|does|do|"
                             r"explain|tell me)\b", re.I)
_REGION = re.compile(r"\b(global|(?:us|europe|asia|me|northamerica|southamerica|australia|africa)-[a-z]+\d)\b")
_PROJECT = re.compile(r"\bproject(?:\s+id)?\s*(?:is|=|:)?\s*[`'\"]?([a-z][a-z0-9-]{4,28}[a-z0-9])\b", re.I)
_BUCKET = re.compile(r"\bbucket\s*(?:is|=|:|named|called)?\s*[`'\"]?(?:gs://)?([a-z0-9][a-z0-9._-]{1,61}[a-z0-9])",
                     re.I)
_URI = re.compile(r"((?:gs|local|hf)://[^\s'\"`,;]+)")
#: A dataset path is found in two linear passes (no backtracking regex over the whole message):
#: runs of path characters, then the last data-file extension inside each run.
_PATH_RUN = re.compile(r"[\w./~-]+")
#: Read formats, and the ones people reach for that are refused with what to save instead (tools.data UNSUPPORTED).
_PATH_END = re.compile(r"\.(?:csv|tsv|jsonl|json|parquet|xlsx|xlsm|xls|ods|numbers|docx|doc|pdf|zip|gz|tgz|tar|"
                       r"bz2|xz|7z)(?!\w)", re.I)
_HF_RUN = re.compile(r"[\w./:-]+")
_HF_PART = re.compile(r"[A-Za-z0-9][\w.-]*")
_SPLIT_PAIR = re.compile(r"\b(\d{1,2})\s*/\s*(\d{1,2})\b")
#: Any share said in percent, also one out of range ("200%", "-5%"): the split step says why it can't be used.
_PERCENT = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*%")
_MODEL = re.compile(r"\b((?:med)?gemma|llama|qwen|glm|gemini|mistral|mixtral|phi|falcon|deepseek|smollm)"
                    r"[\w .@/-]{0,30}", re.I)


def yes_no(text: str) -> bool | None:
    """True for a clear yes, False for a clear no, None otherwise."""
    if _NO.match(text):
        return False
    if _YES.match(text):
        return True
    return None


_STATUS = re.compile(r"\b(status|progress|how(?:'s| is) (?:it|the job|training) going|done yet|finished yet)\b", re.I)


def asks_status(text: str) -> bool:
    """Whether the text asks how the job is doing (answered by the monitor, not as a side question)."""
    return bool(_STATUS.search(text))


_SMALL_TALK = re.compile(
    r"^(hi|hello|hey|hiya|howdy|yo|greetings|good (morning|afternoon|evening)|help|start|begin|"
    r"let'?s (go|start|begin)|get started|ok(ay)?|thanks|thank you)"
    r"( there| agent| bot| everyone| all)?[\s!.,:;)]*$", re.IGNORECASE)


def is_small_talk(text: str) -> bool:
    """A greeting or opener ("hi", "hello there!", "let's start"): it says nothing about a purpose."""
    return bool(_SMALL_TALK.match(text.strip()))


def is_question(text: str) -> bool:
    """Whether the text reads as a question rather than an answer."""
    stripped = text.strip()
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped) and len(stripped.split()) > 2)


def category(text: str) -> str | None:
    """`gemini` or `open` when the text names one (or a model of one)."""
    low = text.lower()
    if "gemini" in low:
        return "gemini"
    if re.search(r"\bopen[- ]?(model|source|weights?)?s?\b", low) or re.search(
            r"\b(gemma|medgemma|llama|qwen|glm)\b", low):
        return "open"
    return None


def region(text: str) -> str | None:
    match = _REGION.search(text.lower())
    return match.group(1) if match else None


def project(text: str) -> str | None:
    match = _PROJECT.search(text)
    return match.group(1).lower() if match else None


def bucket(text: str) -> str | None:
    match = _BUCKET.search(text)
    return match.group(1) if match else None


def dataset_ref(text: str) -> str | None:
    """A dataset the text points at: gs:// or local:// URI, a file path, or a Hugging Face id."""
    uri = _URI.search(text)
    if uri:
        return uri.group(1).rstrip(".")
    path = _dataset_path(text)
    if path:
        return path
    known = {d.name.lower(): d.name for d in load_catalog().hf_datasets}
    low = text.lower()
    named = "hugging" in low or "hf:" in low or "dataset" in low
    for candidate in _hf_ids(text):
        if candidate.lower() in known:
            return known[candidate.lower()]
        if named and find_model(candidate) is None and "@" not in candidate:
            return candidate
    return None


def _hf_ids(text: str) -> list[str]:
    """`owner/name` pairs (after an optional `hf:` or `huggingface.co/datasets/`), found in linear time."""
    found = []
    for run in _HF_RUN.finditer(text):
        word = run.group(0)
        if "/" not in word:
            continue
        for prefix in ("hf:", "huggingface.co/datasets/"):
            word = word.removeprefix(prefix)
        parts = word.split("/")
        i = 0
        while i + 1 < len(parts):
            if _HF_PART.fullmatch(parts[i]) and _HF_PART.fullmatch(parts[i + 1]):
                found.append(f"{parts[i]}/{parts[i + 1]}".rstrip("."))
                i += 2
            else:
                i += 1
    return found


def _dataset_path(text: str) -> str | None:
    """The first word that ends in a data-file extension (`~/d/train.csv`, `./x.jsonl`), in linear time.

    Each run of path characters is scanned once for its last extension, so a long message
    without one (40,000 characters of `a.a.a…`) costs one pass, not one pass per position.
    """
    for run in _PATH_RUN.finditer(text):
        ends = [m.end() for m in _PATH_END.finditer(run.group(0))]
        if ends:
            return run.group(0)[:ends[-1]]
    return None


def validation_split(text: str) -> float | None:
    """A validation fraction: "80/20" → 0.2, "10%" → 0.1, "0.15" → 0.15."""
    pair = _SPLIT_PAIR.search(text)
    if pair:
        a, b = int(pair.group(1)), int(pair.group(2))
        if a + b == 100:
            return min(a, b) / 100
    pct = _PERCENT.search(text)
    if pct:
        return float(pct.group(1)) / 100
    number = re.search(r"\b0?\.\d+\b", text)
    return float(number.group(0)) if number else None


def model_mention(text: str) -> str | None:
    """The model a message names: the catalog's resource name when known, else the raw mention."""
    for token in re.findall(r"(?<![\w.-])[\w.-]+/[\w.-]+@[\w.-]+", text):  # starts at a word: linear time
        return token
    match = _MODEL.search(text)
    if not match:
        return None
    words = match.group(0).split()
    for end in range(len(words), 0, -1):
        found = find_model(" ".join(words[:end]))
        if found is not None:
            return found.base_model
    kept: list[str] = []
    for word in words[:4]:
        kept.append(word.strip("?!.,;:"))
        if re.fullmatch(r"\d+(?:\.\d+)?b", kept[-1], re.I):
            break
    raw = " ".join(kept)
    return raw.strip()


def column_mapping(text: str, columns: list[str]) -> dict[str, str]:
    """Columns named for roles: "prompt=question completion=answer", "use question as the prompt"."""
    found: dict[str, str] = {}
    lower = {c.lower(): c for c in columns}
    for role, synonyms in (("prompt_column", "prompt|input|question|user"),
                           ("completion_column", "completion|output|answer|response|assistant"),
                           ("system_column", "system")):
        for col_l, col in lower.items():
            col_re = re.escape(col_l)
            if re.search(rf"\b({synonyms})\s*(?:column)?\s*(?:=|:|is|->)\s*[`'\"]?{col_re}\b", text.lower()) or \
                    re.search(rf"\b{col_re}\b[`'\"]?\s*(?:as|for)\s*(?:the\s*)?({synonyms})\b", text.lower()):
                found[role] = col
    return found


_EPOCHS = re.compile(r"\b(\d{1,2})\s*epochs?\b|\bepochs?\s*(?:=|:|to|of)?\s*(\d{1,2})\b", re.I)
_LR = re.compile(r"\b(?:learning[ -]rate|lr)\s*(?:=|:|to|of)?\s*(\d+(?:\.\d+)?(?:e-?\d+)?)", re.I)
_MULTIPLIER = re.compile(r"\bmultiplier\s*(?:=|:|to|of)?\s*(\d+(?:\.\d+)?)", re.I)
_RANK = re.compile(r"\b(?:rank|adapter(?: size)?)\s*(?:=|:|to|of)?\s*(\d{1,2})\b", re.I)


def config_changes(text: str) -> dict[str, object]:
    """Configuration changes a sentence asks for: "use 5 epochs and rank 8", "lr 1e-4", "llama 3.1 8b"."""
    changes: dict[str, object] = {}
    if match := _EPOCHS.search(text):
        changes["epochs"] = int(match.group(1) or match.group(2))
    if match := _LR.search(text):
        changes["learning_rate"] = float(match.group(1))
    if match := _MULTIPLIER.search(text):
        changes["learning_rate_multiplier"] = float(match.group(1))
    if match := _RANK.search(text):
        changes["adapter_size"] = int(match.group(1))
    low = text.lower()
    if re.search(r"\bfull(?: tuning| fine-?tuning)?\b", low):
        changes["tuning_mode"] = "FULL"
    elif re.search(r"\b(lora|peft)\b", low):
        changes["tuning_mode"] = "PEFT_ADAPTER"
    local = re.search(r"\blocal/[\w.-]+", text)
    model = local.group(0).rstrip(".") if local else model_mention(text)
    if model:
        changes["base_model"] = model
    return changes


_SPLIT_WORDS = re.compile(r"validat|split|hold(?:ing)? out|held out|holdout|eval", re.I)


def facts_of(text: str, *, split_expected: bool = False) -> dict[str, object]:
    """Every fact one message states that a step can use (absent keys: not stated)."""
    found: dict[str, object] = {}
    for key, value in (("category", category(text)), ("region", region(text)), ("project", project(text)),
                       ("bucket", bucket(text)), ("model", model_mention(text)), ("dataset", dataset_ref(text))):
        if value:
            found[key] = value
    # A bare number is a split only where a split is being discussed ("cuts handling time by 30%" is not).
    # One out of range ("hold out 200%") is kept too: the split step refuses it in words, and a card
    # after the split goes back to it rather than taking the words as a no.
    split = validation_split(text) if split_expected or _SPLIT_WORDS.search(text) else None
    if split is not None:
        found["validation_split"] = split
    low = text.lower()
    if "search" in low and "bucket" in low:
        found["search_buckets"] = True
    if asks_status(text):
        found["status"] = True
    return found


def plain_yes(text: str) -> bool:
    """A yes with nothing else to act on ("yes", "ok, go ahead"), unlike "yes, but 2 epochs" or "ok wait"."""
    match = _YES.match(text)
    if not match or _NO.match(text):
        return False
    rest = text[match.end():]
    return not re.search(r"\d|[=:/@]|\b(but|instead|use|with|change|switch|only|except|not)\b", rest, re.I) \
        and len(rest.split()) <= 4 and not hesitates(rest)  # "ok wait", "yes but not now": taken back
