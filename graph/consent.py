"""What counts as a yes at a card, and what a yes that hesitates gets instead.

Why: "ok wait", "right, hold on", "go away" or "submit it later maybe" start with a word that
can mean yes, and a lenient reading took them as approval — at the card that starts a paid
tuning job. Cards whose action spends money or changes the person's project (`STRICT_ACTIONS`)
therefore take only a plain approval: the whole message is an approval word or short phrase
("yes", "ok, go ahead", "submit it", "👍"), with nothing but politeness and punctuation around
it. A message that leads with a yes but says anything more that nothing else acts on (a
hesitation, a condition, a later time, a negation) decides nothing: it is answered with what to
say, and the card stays open. At the other cards only a yes that clearly hesitates ("ok wait",
"yes but not now") is held the same way; their other readings are unchanged.
"""

from __future__ import annotations

import re

#: Actions that spend money or change the person's project.
STRICT_ACTIONS = frozenset({"submit_tuning_job", "deploy_model", "upload_dataset", "create_bucket", "enable_apis"})

#: The card's own verb, said as the approval ("submit it" at the submit card, not at the deploy card).
_VERBS: dict[str, str] = {
    "submit_tuning_job": r"submit|start|run|launch",
    "deploy_model": r"deploy",
    "upload_dataset": r"upload",
    "create_bucket": r"create",
    "enable_apis": r"enable",
}
_OBJECT = r"(?:\s+(?:it|that|this|them|the\s+(?:job|model|dataset|data|file|bucket|apis?)))?"
_WORDS = (r"y|ye[sp]|yeah|yup|yea|ya|sure|ok(?:ay)?|approved?|accept(?:ed)?|confirm(?:ed)?|agreed|alright|"
          r"all\s+right|fine|lgtm|go|go\s+ahead|go\s+for\s+it|do\s+it|please\s+do|let'?s\s+(?:go|do\s+it)|"
          r"proceed|continue|sounds\s+good|looks\s+good|👍|✅|👌")
_POLITE = r"please|thanks|thank\s+you|thx"
_SEP = r"[\s,.!:;-]*"


def _phrase(action: str) -> str:
    verb = _VERBS.get(action)
    return rf"(?:{_WORDS}|(?:{verb}){_OBJECT})" if verb else rf"(?:{_WORDS})"


def plain_approval(text: str, action: str) -> bool:
    """The whole message is an approval ("yes", "yes please", "ok, go ahead", "submit it", "👍!")."""
    unit = rf"(?:{_phrase(action)}|{_POLITE})"
    return re.fullmatch(rf"{_SEP}{unit}(?:{_SEP}{unit})*{_SEP}", text.strip(), re.I) is not None \
        and re.search(_phrase(action), text, re.I) is not None


#: Words that take a yes back or put it off: a hesitation, a condition, a later time, a negation.
HESITANT = re.compile(
    r"\b(?:wait|hold\s+(?:on|up|off)|hang\s+on|one\s+(?:sec|second|moment|minute)|a\s+(?:sec|second|moment|minute)|"
    r"later|tomorrow|not\s+(?:now|yet|sure)|maybe|perhaps|unsure|hmm+|let\s+me\s+(?:think|check)|i\s+guess|"
    r"if|unless|but|not|don'?t|no|never|away|wrong|first|before)\b", re.I)


def hesitates(text: str) -> bool:
    """Whether the message carries a hesitation, a condition, a later time or a negation."""
    return HESITANT.search(text) is not None


#: A pause said without a yes ("wait", "hold on", "hmm"): at a strict card it too keeps the card open.
PAUSE = re.compile(r"^\W*(?:wait|hold\s+(?:on|up)|hang\s+on|one\s+(?:sec|second|moment|minute)|"
                   r"(?:just\s+)?a\s+(?:sec|second|moment|minute)|hmm+|let\s+me\s+(?:think|check)|not\s+sure|"
                   r"unsure)\b", re.I)


def held(text: str, action: str, yes: bool) -> bool:
    """Whether a message with nothing else to act on holds the card instead of answering it.

    `yes`: the message leads with a yes word. At a strict card anything but a plain approval that
    leads with a yes is held, and so is a pause; elsewhere only a yes that hesitates.
    """
    if plain_approval(text, action):
        return False
    if action in STRICT_ACTIONS:
        return yes or PAUSE.match(text) is not None
    return yes and hesitates(text)


def held_line(action: str) -> str:
    """What is said when a message does not approve the card: nothing happened, and what to say."""
    done, verb = {
        "submit_tuning_job": ("Not submitted.", "submit"),
        "deploy_model": ("Not deployed.", "deploy"),
        "upload_dataset": ("Nothing uploaded.", "upload"),
        "create_bucket": ("No bucket created.", "create it"),
        "enable_apis": ("Nothing enabled.", "enable them"),
    }.get(action, ("Nothing decided yet.", "approve it"))
    return f"{done} Say **yes** to {verb}, or tell me what to change. The card is still open."
