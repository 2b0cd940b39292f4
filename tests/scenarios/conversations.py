"""The scenario table: scripted conversations with what a person would expect at each turn.

Each row states expectations in a person's terms (the suggestions appear, the question is
answered and the same card comes back, a change is kept) rather than whatever the code happens
to print. Rows with `known_gap` describe behaviour issue #12 is still building: they run as
strict xfails, so the suite turns red the moment one starts passing and the mark must go.
The second wave fills this table to at least 40 conversations (changes of mind at every card,
questions at every card, skips and declines at every step that can fail, purposes in many
phrasings), on both platforms.
"""

from __future__ import annotations

from tests.scenarios.runner import Conversation, Turn

PURPOSE = "I want to tune a model to answer trivia questions"
#: From a purpose to the submit card on the local platform, approving every card on the way.
TO_SUBMIT = (Turn(PURPOSE, card="choose_model_category"), Turn("y"), Turn("{data}", card="confirm_column_mapping"),
             Turn("y", card="split_validation"), Turn("y", card="create_bucket"), Turn("y", card="upload_dataset"),
             Turn("y", card="approve_configuration"), Turn("y", card="submit_tuning_job"))

CONVERSATIONS: tuple[Conversation, ...] = (
    Conversation(
        "purpose-then-suggestions",
        "A plain purpose gets three different model suggestions, each with pros and cons.",
        (Turn(PURPOSE, expect=("open", "gemini", "budget pick", "pros", "cons"), card="choose_model_category"),),
    ),
    Conversation(
        "question-at-category-card-is-answered",
        "A question typed at the category card is answered from the notes and the card comes back.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("what is LoRA?", expect=("adapter",), card="choose_model_category")),
    ),
    Conversation(
        "choose-open-then-dataset",
        "Approving the category moves on to the dataset.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("y", expect=("dataset",)),
         Turn("{data}", card="confirm_column_mapping")),
    ),
    Conversation(
        "split-no-with-details",
        "A typed no with details at the split card uses the details, not the default.",
        (Turn(PURPOSE), Turn("y"), Turn("{data}"), Turn("y", card="split_validation"),
         Turn("no, hold out 10%", expect=("10%",), card="create_bucket")),
    ),
    Conversation(
        "local-path-to-submit-card",
        "Approving every card on the local platform reaches the submit card with the literal command.",
        (*TO_SUBMIT[:-1], Turn("y", expect=("tuning-agent job submit", "--platform local"), card="submit_tuning_job")),
        llms=("none",),
    ),
    Conversation(
        "change-at-submit-card-is-kept",
        "A change typed at the submit card goes back to the configuration and comes back with it applied.",
        (*TO_SUBMIT, Turn("use 2 epochs", expect=("--epochs 2",), expect_not=("Nothing was submitted",),
                          card="submit_tuning_job")),
        llms=("none",),
        known_gap="graph: a change at any card routed through the invalidation table (#11) not wired in yet",
    ),
    Conversation(
        "purpose-with-a-question",
        "A purpose stated with a question keeps the purpose (suggestions) and answers the question.",
        (Turn("I'm building a bot for trivia night — what setup do I need?",
              expect=("budget pick", "gcloud"), card="choose_model_category"),),
        known_gap="graph: one understanding step (graph/intents.read) not wired in yet",
    ),
    Conversation(
        "open-vs-gemini-question-is-not-a-choice",
        "Asking about open vs Gemini at the category card answers it; nothing is chosen.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("should I pick open or gemini?", expect=("Open models or Gemini",),
              expect_not=("Category: **gemini**",), card="choose_model_category")),
        known_gap="graph: answers from tools.answers (sections) not wired in yet",
    ),
    Conversation(
        "short-answer-names-its-source",
        "A question gets a short answer naming its source section, not the whole page.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("how many epochs should I use?", expect=("Source: Tuning concepts › Epochs",),
              expect_not=("Overfitting",))),
        known_gap="graph: answers from tools.answers (sections) not wired in yet",
    ),
)
