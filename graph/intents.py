"""One deterministic reading of every message into typed intents.

Why: a message typed at a card may answer it, change a setting owned by another step, ask a
question, state a purpose or a dataset, skip a step or ask for the status — often several at
once ("no, hold out 10%", "I'm building a bot for X — what setup do I need?"). Every node reads
the same intents, so nothing a person says is dropped or read as something else. This module is
pure (no LangGraph): text and the open card's context in, intents out. The LLM may add intents
later; those are checked against the same types. Values are raw: the owning card's model
validates them (so "use 0 epochs" is read as `Change("epochs", 0)` and refused there, with the
reason, rather than ignored here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from graph import parse
from knowledge import find_model


@dataclass(frozen=True)
class CardContext:
    """What is open when the message arrives.

    `card`: the open card's name (`category`, `model`, `config`, `split`, `submit`, `deploy`, …) or None
    between cards. `fields`: the settings the card edits. `choices`: named options the card offers
    (e.g. `("open", "gemini")` or three model names), answerable by name, by a distinctive word of
    the name ("llama"), by number, or by an alias (a role such as "budget" or "cheapest").
    `expects_text`: the card asks for free text (a purpose, a path), so plain text answers it.
    """

    card: str | None = None
    fields: frozenset[str] = frozenset()
    choices: tuple[str, ...] = ()
    expects_text: bool = False
    aliases: tuple[tuple[str, str], ...] = ()  # (word, choice): ("budget", "Llama 3.2 1B Instruct"), ("cheapest", …)


@dataclass(frozen=True)
class Reply:
    """A yes or no to the open card; `rest` is whatever followed the yes/no word."""

    yes: bool
    rest: str = ""


@dataclass(frozen=True)
class Choice:
    """One of the card's named choices (`value` is the choice as the card spells it)."""

    value: str


@dataclass(frozen=True)
class Change:
    """A setting to change: `field` → raw `value`, validated by the card that owns the field."""

    field: str
    value: object


@dataclass(frozen=True)
class Question:
    text: str


@dataclass(frozen=True)
class Purpose:
    """What the tuned model is for, in the person's words."""

    text: str


@dataclass(frozen=True)
class Dataset:
    """A dataset reference: gs:// or local:// URI, a file path, or a Hugging Face id."""

    ref: str


@dataclass(frozen=True)
class Skip:
    """Move on without this step (`step` when named: "don't deploy" → `deploy`)."""

    step: str | None = None


@dataclass(frozen=True)
class Stop:
    """Stop: cancel what is running or end the conversation (`target` when named, e.g. `job`)."""

    target: str | None = None


@dataclass(frozen=True)
class Status:
    """How is the job doing?"""


@dataclass(frozen=True)
class Retry:
    """Run the step that failed again (after fixing something outside, e.g. a permission)."""


@dataclass(frozen=True)
class Back:
    """Go back to the previous card (a change of mind without naming the setting); `target`: the card's
    words when named ("undo the cleaning", "go back to the split")."""

    target: str | None = None


@dataclass(frozen=True)
class SearchBuckets:
    """Look for dataset files in the person's buckets."""


Intent = Reply | Choice | Change | Question | Purpose | Dataset | Skip | Stop | Status | Retry | Back | SearchBuckets
Kind = Literal["reply", "choice", "change", "question", "purpose", "dataset", "skip", "stop", "status", "retry",
               "back", "search_buckets"]


def kind_of(intent: Intent) -> Kind:
    """The intent's kind as a word (for logs, routing tables and the LLM check)."""
    return {Reply: "reply", Choice: "choice", Change: "change", Question: "question", Purpose: "purpose",
            Dataset: "dataset", Skip: "skip", Stop: "stop", Status: "status", Retry: "retry", Back: "back",
            SearchBuckets: "search_buckets"}[type(intent)]  # type: ignore[return-value]


@dataclass
class Reading:
    """All intents of one message, in a stable order (reply/choice, changes, dataset, purpose, question…)."""

    intents: list[Intent] = field(default_factory=list)

    def of(self, kind: type) -> list[Intent]:
        return [i for i in self.intents if isinstance(i, kind)]

    def changes(self) -> dict[str, object]:
        return {i.field: i.value for i in self.intents if isinstance(i, Change)}

    def has(self, kind: type) -> bool:
        return any(isinstance(i, kind) for i in self.intents)


# ---- patterns -------------------------------------------------------------------------------

_EXTRA_YES = re.compile(r"^\s*(yup|yea|ya|looks good|lgtm|perfect|great|good|agreed|alright|all right|"
                        r"that works|works for me|let'?s do (it|that)|proceed|continue|accept)\b[\s.!]*", re.I)
_NO_THANKS = re.compile(r"^\s*(no+|nope|nah|(?:maybe )?later|not yet|not today)[\s,.!]*"
                        r"(thanks?|thank you|thx)?[\s.!]*$", re.I)
_STATUS_MORE = re.compile(r"\b(?:is|has)\s+(?:the\s+|my\s+)?(?:job|training|tuning|run)\s+(?:finished|done|complete|"
                          r"over|ready|running|still running)\b|\bhow far (?:along )?is\b|\b(?:eta|time left)\b|"
                          r"\bcheck (?:the )?(?:job|status|progress)\b", re.I)
_RETRY = re.compile(r"^\s*(?:please\s+)?(?:retry|try (?:it |that )?again|again|run it again|one more time|"
                    r"i (?:fixed|granted|enabled) (?:it|that|the \w+)(?:,? try again)?)[\s.!]*$", re.I)
_BACK = re.compile(r"^\s*(?:go\s+)?back(?:\s+(?:a step|one step|to the previous (?:step|card)))?[\s.!]*$"
                   r"|^\s*(?:undo|previous(?: step| card)?)[\s.!]*$", re.I)
_BACK_TO = re.compile(r"^\s*(?:undo|go back to|back to|reopen|redo)\s+(?:the\s+|my\s+|that\s+)?"
                      r"([a-z][a-z -]{2,40}?)(?:\s+(?:step|card))?[\s.!]*$", re.I)
_SEARCH = re.compile(r"\bsearch\b.*\bbuckets?\b|\blook (?:in|through) (?:my )?buckets?\b|\bfind (?:my )?data(?:sets?)? "
                     r"in (?:my )?(?:buckets?|storage)\b", re.I)
_HF_PREFIX = re.compile(r"\bhf:\s*([A-Za-z0-9][\w.-]*(?:/[A-Za-z0-9][\w.-]*)?)")
_LR_BEFORE = re.compile(r"\b(\d+(?:\.\d+)?e-?\d+|0\.\d+)\s*(?:as (?:the )?)?(?:learning[ -]rate|lr)\b", re.I)
_RELATIVE = re.compile(r"\b(lower|raise|higher|increase|decrease|reduce|more|fewer|less|smaller|bigger|larger)\b"
                       r"(?:\s+(?:the|a|an))?\s+(epochs?|learning[ -]rate|lr|adapter(?: size)?|rank)\b", re.I)
_BARE_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?(?:e-?\d+)?)\s*$", re.I)
_STOP = re.compile(r"^\s*(quit|exit|abort|stop|cancel)(\s+(it|everything|all|the (whole )?thing|the job|"
                   r"the training|the run|training|tuning))?[\s.!]*$", re.I)
_SKIP = re.compile(
    r"^\s*(?:please\s+)?(?:just\s+)?(?:skip|pass|move on|carry on|go on without|not needed|no need)\b"
    r"|^\s*(?:let'?s\s+)?skip\b"
    r"|\b(?:don'?t|do not|no need to|rather not|won'?t|not going to|no)\s+(?:want to\s+|need to\s+)?"
    r"(deploy|check|serve|try|test|upload|search|validate)\b", re.I)
_STEP_WORDS = {
    "deploy": "deploy", "serv": "deploy", "endpoint": "deploy",
    "environment": "environment", "env": "environment", "check": "environment", "setup": "environment",
    "preflight": "preflight", "try": "try", "test": "try", "search": "bucket_search", "bucket": "bucket_search",
    "validat": "split", "split": "split", "upload": "upload",
}
_PURPOSE = re.compile(
    r"\b(?:i'?m|i am|we'?re|we are)\s+(?:building|making|creating|developing|working on|writing|trying to build)\b"
    r"|\b(?:i|we)\s+(?:want|need|would like|'d like|wanna|plan)\s+(?:to\s+)?"
    r"(?:build|make|create|train|tune|fine-?tune|teach|get)\b"
    r"|\b(?:my|our|the)\s+(?:goal|purpose|use[- ]case|aim|task)\s+(?:is|:)"
    r"|\b(?:it'?s|it is|this is)\s+for\b"
    r"|^\s*(?:a|an)\s+[\w-]+(?:\s+[\w-]+)?\s+(?:bot|assistant|chatbot|classifier|model|agent|tool)\b"
    r"|^\s*(?:for|to)\s+(?:answer|classify|summari[sz]e|extract|translate|write|generate|help|support|triage)",
    re.I)
_REQUEST = re.compile(r"^\s*(?:can|could|would|will)\s+(?:you|we|i)\s+(?:please\s+)?"
                      r"(?:use|make|set|switch|change|try|go|pick|bump|lower|raise|do|hold)\b"
                      r"|^\s*please\b", re.I)
_NEGATED_MODE = re.compile(r"\b(?:don'?t|do not|not|no|without|instead of)\s+(?:use\s+|do\s+)?(?:a\s+)?"
                           r"(full|lora|peft)\b", re.I)
_NO_VALIDATION = re.compile(r"\b(?:no|without|skip(?: the)?|don'?t (?:want|need|use)|zero)\s+(?:a\s+|any\s+|the\s+)?"
                            r"(?:validation|holdout|hold[- ]out|eval(?:uation)?)(?: set| split| data)?\b", re.I)
_BUCKET = re.compile(r"\bbucket\s*(?:is|=|:|named|called)\s*[`'\"]?(?:gs://)?([a-z0-9][a-z0-9._-]{1,61}[a-z0-9])"
                     r"|^\s*gs://([a-z0-9][a-z0-9._-]{1,61}[a-z0-9])/?\s*$", re.I)
_OPEN_WORDS = re.compile(r"^\s*(?:the\s+)?open(?:[- ](?:model|source|weights?)s?)?(?:\s+one)?[\s.!]*$"
                         r"|\bopen[- ](?:model|source|weights?)s?\b", re.I)
_UNSURE = re.compile(r"\b(not sure|don'?t know|no idea|changed? my mind|go back|undo|wait|hmm+|i guess)\b", re.I)
_SETTING_WORDS = re.compile(r"\b(bucket|project|region|location|epochs?|learning rate|adapter|folder|credentials|"
                            r"gcloud|validation|split)\b", re.I)
_CLAUSE = re.compile(r"\s+[—–-]{1,2}\s+|(?<=[?!.;])\s+|\s*[;]\s*")
_CHANGE_VERB = re.compile(r"\b(use|make|set|switch|change|go with|try|bump|lower|raise|increase|decrease|"
                          r"instead|rather|hold out|keep)\b", re.I)


#: A purpose asked as a question: "can you help me fine-tune a model that writes product descriptions?"
_PURPOSE_ASKED = re.compile(
    r"^\s*(?:can|could|would|will)\s+(?:you|we|i)\s+(?:please\s+)?(?:help\s+(?:me|us)\s+)?(?:to\s+)?"
    r"(?:build|make|create|train|tune|fine-?tune|teach|get)\b.*\b(?:model|bot|assistant|chatbot|classifier|agent)\b"
    r"(?:\s+(?:that|to|for|which|who)\b)"
    r"|^\s*(?:can|could|would)\s+you\s+help\s+(?:me|us)\s+(?:build|make|create|train|tune|fine-?tune)\b", re.I)


#: A request for help with the data or the setup ("I need help with my data — it has three columns"):
#: a question about the format and the column mapping, never what the model is for.
_HELP_WITH = re.compile(
    r"\b(?:help|stuck|confused|trouble|problem)\b.{0,40}\b(?:my |the |our )?(?:data(?:set)?|file|csv|jsonl|columns?|"
    r"rows?|format|spreadsheet|excel|bucket|setup|set up|project|credentials)\b", re.I)


def _clauses(text: str) -> list[str]:
    """The message split at sentence ends, dashes and semicolons ("bot for X — what do I need?")."""
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


_FAMILY = re.compile(r"\b(?:llama|qwen|gemma|medgemma|glm)\b", re.I)
#: A family word said alone ("llama", "the gemma models?"): which of its models, not a change of category.
_BARE_FAMILY = re.compile(r"^\s*(?:the\s+|a\s+)?(?:llama|qwen|gemma|medgemma|glm)(?:\s+(?:one|models?|family))?"
                          r"[\s.!?]*$", re.I)
#: A wish to spend less: "make it cheaper", "no, too expensive", "that's too pricey", "how can I save money".
#: Answered with cheaper settings to pick from (graph/offers.py), never read as declining the card.
CHEAPER = re.compile(r"\b(?:cheaper|less expensive|less costly|lower (?:the )?(?:cost|price)|reduce (?:the )?"
                     r"(?:cost|price|spend)|save (?:some )?money|(?:too|very|so) (?:expensive|pricey|costly|dear)|"
                     r"costs? (?:less|too much)|spend less|on a budget)\b", re.I)


def _asks_for_options(clause: str) -> bool:
    """A family named without a model ("can I use Llama instead?", a bare "gemma") or a wish to spend less
    ("make it cheaper"): the answer is a short list to pick from, so it is read as a question, never a change."""
    if CHEAPER.search(clause):
        return True
    return bool(_FAMILY.search(clause)) and _model_change(clause) is None and not _PURPOSE.search(clause) \
        and bool(_CHANGE_VERB.search(clause) or parse.is_question(clause) or re.search(r"\bcan i\b", clause, re.I)
                 or _BARE_FAMILY.match(clause))


def _is_request(clause: str) -> bool:
    """A request phrased as a question ("can you use 2 epochs?") is a change, not a question."""
    return bool(_REQUEST.search(clause))


def _model_change(clause: str) -> str | None:
    """A specific model the clause names: a catalog name, or an unknown mention that carries a size/version."""
    local = re.search(r"\blocal/[\w.-]+", clause)
    if local:
        return local.group(0)
    mention = parse.model_mention(clause)
    if not mention:
        return None
    if find_model(mention) is not None or "/" in mention:
        return mention
    return mention if re.search(r"\d", mention) else None


def _category(clause: str, at_category_card: bool) -> str | None:
    """`open`/`gemini`: anywhere for explicit words; a bare "open" only at the category card."""
    low = clause.lower()
    if re.search(r"\bgemini\b", low):
        return "gemini"
    if _OPEN_WORDS.search(clause) or re.search(r"\b(gemma|medgemma|llama|qwen|glm)\b", low):
        return "open"
    if at_category_card and re.search(r"\bopen\b", low):
        return "open"
    return None


def _changes(clause: str, ctx: CardContext) -> list[Change]:
    """Setting changes one (non-question) clause asks for."""
    found: dict[str, object] = {}
    raw = parse.config_changes(clause)
    for key in ("epochs", "learning_rate", "learning_rate_multiplier", "adapter_size", "tuning_mode"):
        if key in raw:
            found[key] = raw[key]
    if "learning_rate" not in found and (before := _LR_BEFORE.search(clause)):
        found["learning_rate"] = float(before.group(1))
    for direction, name in _RELATIVE.findall(clause):
        key = _relative_field(name)
        if key not in found:  # "lower the learning rate": the owning card proposes the value
            found[key] = "lower" if direction.lower() in ("lower", "decrease", "reduce", "fewer", "less",
                                                           "smaller") else "higher"
    if negated := _NEGATED_MODE.search(clause):
        # Two modes only, so "don't use full tuning" means LoRA and "no LoRA" means full.
        found["tuning_mode"] = "PEFT_ADAPTER" if negated.group(1).lower() == "full" else "FULL"
    model = _model_change(clause)
    if model:
        found["base_model"] = model
    facts = parse.facts_of(clause, split_expected=ctx.card == "split" or "validation_split" in ctx.fields)
    for key in ("region", "project", "validation_split"):
        if key in facts:
            found[key] = facts[key]
    if _NO_VALIDATION.search(clause):
        found["validation_split"] = 0.0
    bucket = _BUCKET.search(clause)
    if bucket:
        found["bucket"] = bucket.group(1) or bucket.group(2)
    if ctx.card != "category":
        category = _category(clause, at_category_card=False)
        if category and (_CHANGE_VERB.search(clause) or len(clause.split()) <= 3 or "base_model" in found):
            found["category"] = category
    return [Change(k, v) for k, v in found.items()]


def _relative_field(name: str) -> str:
    low = name.lower()
    if low.startswith("epoch"):
        return "epochs"
    if low.startswith(("learning", "lr")):
        return "learning_rate"
    return "adapter_size"


def _choice(text: str, ctx: CardContext) -> Choice | None:
    """A card choice named by number, by name, or (at the category card) as open/gemini."""
    stripped = text.strip().strip(".!").lower()
    if not ctx.choices:
        return None
    number = re.fullmatch(r"(?:#|number |option |no\.? ?)?(\d)", stripped)
    if number and 1 <= int(number.group(1)) <= len(ctx.choices):
        return Choice(ctx.choices[int(number.group(1)) - 1])
    for choice in ctx.choices:
        if re.search(rf"\b{re.escape(choice.lower())}\b", stripped):
            return Choice(choice)
    for word, choice in ctx.aliases:
        if re.search(rf"\b{re.escape(word.lower())}\b", stripped) and choice in ctx.choices:
            return Choice(choice)
    if ctx.card == "category":
        category = _category(text, at_category_card=True)
        if category and category in ctx.choices:
            return Choice(category)
    words = [w for w in re.findall(r"[a-z0-9.]+", stripped) if w not in _CHOICE_FILLER]
    if words and len(words) <= 4:
        named = [c for c in ctx.choices if all(re.search(rf"\b{re.escape(w)}\b", c.lower()) for w in words)]
        if len(named) == 1:  # "llama" when only one choice is a Llama
            return Choice(named[0])
    return None


_CHOICE_FILLER = frozenset({"the", "a", "an", "one", "model", "please", "i'll", "take", "use", "go", "with", "pick",
                            "let's", "lets", "it", "that", "i", "ll", "s"})


def _dataset(clause: str) -> Dataset | None:
    prefixed = _HF_PREFIX.search(clause)
    if prefixed:
        return Dataset(prefixed.group(1))
    ref = parse.dataset_ref(clause)
    if not ref or re.fullmatch(r"\d+/\d+", ref) or _BUCKET.search(clause):
        return None
    if ref.startswith("gs://") and "/" not in ref[5:].rstrip("/"):
        return None  # a bare bucket, not a file
    return Dataset(ref)


_LEAD = re.compile(r"^\s*(?:no+|nope|nah|n|y|yes|yeah|yep|yup|yea|ya|sure|ok(?:ay)?|looks good|sounds good|lgtm|"
                   r"go ahead|do it|please do|let'?s go|fine|correct|right|perfect|great|good|agreed|"
                   r"approved?|confirm(?:ed)?|alright|all right|proceed|continue|accept)\b"
                   r"(?:[\s,.!:;-]*(?:thanks|thank you|please|go ahead|do it|sure))*[\s,.!:;-]*", re.I)
_DONT_CHANGE = re.compile(r"^\s*(?:don'?t|do not)\s+(?:use|do|want|need)\b", re.I)
#: "let's go with gemini instead" names what to change; it is not a yes to the open card.
_GO_WITH = re.compile(r"^\s*(?:ok(?:ay)?[\s,]+)?(?:let'?s|let us|i'?ll|we'?ll)?\s*(?:go|stick)\s+with\b"
                      r"(?!\s+(?:it|that|this|these|the (?:recommend|suggest|default|proposal)\w*)\b)", re.I)


def _reply(first: str, whole: str) -> Reply | None:
    """A yes or no leading the message ("no, hold out 10%"); None for a negated setting ("no validation")."""
    if _NO_VALIDATION.match(first) or _DONT_CHANGE.match(first) or _GO_WITH.match(first):
        return None
    yes_no = parse.yes_no(first)
    if yes_no is None and _EXTRA_YES.match(first):
        yes_no = True
    if yes_no is None:
        return None
    if parse.is_question(first) and not re.match(r"^\s*(y|n|yes|no)\b", first, re.I):
        return None  # "should I …?" / "do I need …?" start like a no/yes word but ask
    lead = _LEAD.match(whole)
    return Reply(yes_no, whole[lead.end():].strip() if lead else "")


def _skip_step(text: str) -> str | None:
    low = text.lower()
    for word, step in _STEP_WORDS.items():
        if word in low:
            return step
    return None


def _whole_message(stripped: str, ctx: CardContext) -> Intent | None:
    """Messages that are one intent as a whole: status, retry, back, bucket search, stop, skip, a bare value, a no."""
    if (parse.asks_status(stripped) or _STATUS_MORE.search(stripped)) \
            and not re.search(r"\bstatus of\b.*\b(dataset|bucket|project|upload)\b", stripped, re.I):
        return Status()
    if _RETRY.match(stripped):
        return Retry()
    if _BACK.match(stripped):
        return Back()
    if named := _BACK_TO.match(stripped):
        target = named.group(1).strip().lower()
        return Back(None if target in {"that", "this", "it", "last", "last one", "last step"} else target)
    asks = stripped.endswith("?")
    if _SEARCH.search(stripped) and not asks:
        return SearchBuckets()
    if _STOP.match(stripped):
        return Stop("job" if re.search(r"\b(job|training|tuning|run)\b", stripped, re.I) else None)
    lead = _LEAD.match(stripped)
    after_yes = stripped[lead.end():] if lead and parse.yes_no(stripped) is not False else stripped
    if (_SKIP.search(stripped) or _SKIP.search(after_yes)) and not asks:  # "skip", "yes, skip it", "don't deploy"
        return Skip(_skip_step(stripped) or ctx.card)
    if (number := _BARE_NUMBER.match(stripped)) and len(ctx.fields) == 1 and not ctx.choices:
        value = float(number.group(1))
        whole = value.is_integer() and "." not in stripped and "e" not in stripped.lower()
        return Change(next(iter(ctx.fields)), int(value) if whole else value)
    if _NO_THANKS.match(stripped):
        return Reply(False)
    return None


def read(text: str, ctx: CardContext | None = None) -> Reading:
    """Every intent in `text`, read deterministically against the open card `ctx`."""
    ctx = ctx or CardContext()
    stripped = text.strip()
    reading = Reading()
    if not stripped:
        return reading
    if (single := _whole_message(stripped, ctx)) is not None:
        reading.intents.append(single)
        return reading
    if _HELP_WITH.search(stripped) and not _PURPOSE_ASKED.search(stripped) and not _dataset(stripped):
        reading.intents.append(Question(stripped))  # the whole message: "it has three columns" is context
        return reading
    out = reading.intents

    # The card's answer first: a named choice, else a leading yes/no ("no, hold out 10%").
    clauses = _clauses(stripped)
    choice = _choice(stripped, ctx) if not parse.is_question(stripped) else None
    answer: Intent | None = choice or _reply(clauses[0], stripped)
    if isinstance(answer, Reply) and CHEAPER.search(stripped):
        answer = None  # "no, too expensive" asks for something cheaper: answered with options, nothing declined
    if answer is not None:
        out.append(answer)

    # Then each clause: a question stays a question; otherwise purpose, dataset and changes.
    for clause in clauses:
        if _asks_for_options(clause):
            if not (choice is not None and _FAMILY.search(choice.value)):  # "llama" that picked the one Llama
                out.append(Question(clause))  # answered with the family's models or cheaper settings
            continue
        if _PURPOSE_ASKED.search(clause):
            out.append(Purpose(clause.rstrip(" ?.;—-")))
            continue
        if parse.is_question(clause) and not _is_request(clause):
            out.append(Question(clause))
            continue
        if _PURPOSE.search(clause):
            out.append(Purpose(clause.rstrip(" .;—-")))
        if dataset := _dataset(clause):
            out.append(dataset)
        for change in _changes(clause, ctx):
            if choice is not None and (change.field == "category"
                                       or (change.field == "base_model" and ctx.card != "category")):
                continue  # the choice already says it
            out.append(change)

    if not out:
        if ctx.expects_text and ctx.card in (None, "purpose", "intake") and not parse.is_small_talk(stripped):
            out.append(Purpose(stripped))
        elif len(stripped.split()) >= 4 and not re.search(r"[=@/]", stripped) and not _UNSURE.search(stripped) \
                and not _SETTING_WORDS.search(stripped) and not re.search(r"\bdata ?sets?\b", stripped, re.I):
            # A sentence that answers nothing the card asks is what the model is for, said plainly.
            out.append(Purpose(stripped))
    return reading


# ---- the LLM may add intents, never replace them -----------------------------------------------

#: Settings a change may name (the owning step validates the value).
KNOWN_FIELDS = frozenset({"epochs", "learning_rate", "learning_rate_multiplier", "adapter_size", "tuning_mode",
                          "base_model", "category", "region", "project", "bucket", "validation_split"})

# The prompt lives here (graph/prompts.py belongs to the graph refactor) because it is this module's contract.
INTENTS_PROMPT = """Read one message from a person fine-tuning a model. The open card is {card!r} (fields: {fields}).
List ONLY what the message says, as intents: reply (yes: true/false), choice (value), change (field, value;
fields: {known}), question (text), purpose (text), dataset (ref), skip (step), stop, status, retry,
back, search_buckets. A question is never a choice or a change. Do not guess values the message does
not state.

Message: {text}
"""


def from_llm(items: list[dict[str, object]]) -> list[Intent]:
    """Intents proposed by the LLM as plain dicts, keeping only well-formed ones (unknown kinds/fields dropped)."""
    out: list[Intent] = []
    for item in items:
        kind, text = item.get("kind"), item.get("text")
        if kind == "reply" and isinstance(item.get("yes"), bool):
            out.append(Reply(bool(item["yes"])))
        elif kind == "choice" and isinstance(item.get("value"), str):
            out.append(Choice(str(item["value"])))
        elif kind == "change" and item.get("field") in KNOWN_FIELDS and item.get("value") is not None:
            out.append(Change(str(item["field"]), item["value"]))
        elif kind in ("question", "purpose") and isinstance(text, str) and text.strip():
            out.append(Question(text.strip()) if kind == "question" else Purpose(text.strip()))
        elif kind == "dataset" and isinstance(item.get("ref"), str) and str(item["ref"]).strip():
            out.append(Dataset(str(item["ref"]).strip()))
        elif kind == "skip":
            step = item.get("step")
            out.append(Skip(step if isinstance(step, str) else None))
        elif kind == "stop":
            out.append(Stop())
        elif kind == "status":
            out.append(Status())
        elif kind == "retry":
            out.append(Retry())
        elif kind == "back":
            out.append(Back())
        elif kind == "search_buckets":
            out.append(SearchBuckets())
    return out


def merge(reading: Reading, proposed: list[Intent], ctx: CardContext | None = None) -> Reading:
    """The deterministic reading plus what the LLM adds, checked: nothing read deterministically is replaced.

    Added: kinds not already present, and changes to fields not already changed. Refused: a
    reply or choice when the message was read as a question (a question is never a choice), a
    choice the card does not offer, and a second reply.
    """
    ctx = ctx or CardContext()
    merged = Reading(list(reading.intents))
    changed = set(reading.changes())
    for intent in proposed:
        if isinstance(intent, Reply | Choice) and (merged.has(Question) or merged.has(Reply) or merged.has(Choice)):
            continue
        if isinstance(intent, Choice) and intent.value not in ctx.choices:
            continue
        if isinstance(intent, Change):
            if intent.field in changed:
                continue
            changed.add(intent.field)
        elif merged.has(type(intent)):
            continue
        merged.intents.append(intent)
    return merged
