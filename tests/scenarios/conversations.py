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
#: The prefix of TO_SUBMIT that ends with the named card open.
CARDS = ("choose_model_category", "confirm_column_mapping", "split_validation", "create_bucket", "upload_dataset",
         "approve_configuration", "submit_tuning_job")


def to_card(card: str) -> tuple[Turn, ...]:
    """The turns that reach `card` on the local platform."""
    return TO_SUBMIT[:next(i for i, t in enumerate(TO_SUBMIT) if t.card == card) + 1]


#: On Vertex (fake servers): purpose, category, project/region confirmed (the checks pass), a dataset.
VERTEX_TO_COLUMNS = (Turn(PURPOSE, card="choose_model_category"), Turn("y", card="confirm_project_region"),
                     Turn("y", expect=("environment checks passed",)), Turn("{data}", card="confirm_column_mapping"))
VERTEX_TO_SUBMIT = (*VERTEX_TO_COLUMNS, Turn("y", card="split_validation"), Turn("y", card="create_bucket"),
                    Turn("y", card="upload_dataset"), Turn("y", card="approve_configuration"),
                    Turn("y", card="submit_tuning_job"))

#: A question at each card on the local platform, what the answer must mention, and its source section.
QUESTIONS_AT_CARDS = (
    ("choose_model_category", "what is LoRA?", "adapter"),
    ("confirm_column_mapping", "what format does the data need?", "JSONL"),
    ("split_validation", "what is a validation set for?", "validation loss"),
    ("create_bucket", "how much will tuning cost?", "billing"),
    ("upload_dataset", "can I tune without a cloud account?", "local"),
    ("approve_configuration", "what does an epoch mean?", "epoch"),
    ("submit_tuning_job", "how long will training take?", "hour"),
)

#: Purposes phrased many ways: each keeps the purpose and yields the three different suggestions.
PURPOSES = (
    "I'm building a support bot for a bike shop",
    "We need a classifier for customer emails",
    "my goal is to summarise meeting notes",
    "a customer-support chatbot for my online shop",
    "for answering questions about our product manual",
    "Can you help me fine-tune a model that writes product descriptions?",
    "we want to train a model to extract invoice fields",
    "it's for translating support replies into Spanish",
    "I would like to teach a model our company's writing style for release notes",
)

UNAVAILABLE = "The LLM is unavailable"


def told_once(turns: tuple[Turn, ...]) -> tuple[Turn, ...]:
    """The turns of a conversation with an LLM that fails on every call: the first reply says the LLM
    is unavailable, no later one repeats it, and none shows a traceback or an internal error."""
    first, *rest = turns
    return (Turn(first.say, (*first.expect, UNAVAILABLE), (*first.expect_not, "Traceback", "Error:"), first.card),
            *(Turn(t.say, t.expect, (*t.expect_not, UNAVAILABLE, "Traceback", "Error:"), t.card) for t in rest))


#: An LLM that starts and then fails on every call: the rule-based reading carries the whole conversation.
FAILING_LLM = (
    Conversation(
        "failing-llm-local-to-the-submit-card",
        "With an LLM that fails on every call, the person reaches the submit card as without one; they are "
        "told once that the LLM is unavailable, and never see a traceback.",
        told_once((Turn(PURPOSE, expect=("budget pick",), card="choose_model_category"),
                   *TO_SUBMIT[1:7], Turn("what does an epoch mean?", expect=("epoch", "Source:"),
                                         card="approve_configuration"),
                   Turn("use 2 epochs", expect=("| epochs | 2 |",), card="approve_configuration"),
                   Turn("y", expect=("--epochs 2",), card="submit_tuning_job"))),
        llms=("failing",),
    ),
    Conversation(
        "failing-llm-changes-of-mind",
        "With a failing LLM, questions, a family, a category change and a stop are all read by the rules.",
        told_once((Turn(PURPOSE, card="choose_model_category"),
                   Turn("what is LoRA?", expect=("adapter", "Source:"), card="choose_model_category"),
                   Turn("y"), Turn("{data}", card="confirm_column_mapping"),
                   Turn("can I use Llama instead?", expect=("No Llama model can be tuned",),
                        card="confirm_column_mapping"),
                   Turn("let's go with gemini instead", expect=("Switch from **open** to **gemini**",),
                        card="choose_model_category"),
                   Turn("stop", expect=("You stopped at the card", "Resume with")))),
        llms=("failing",),
    ),
    Conversation(
        "failing-llm-vertex-to-the-submit-card",
        "On Vertex with a failing LLM, the checks, the data and the configuration go as without one, and "
        "'make it cheaper' is still answered with priced options.",
        told_once((*VERTEX_TO_SUBMIT[:-1],
                   Turn("make it cheaper", expect=("Cheaper options",), card="approve_configuration"),
                   Turn("y", card="submit_tuning_job"))),
        platform="vertex", llms=("failing",),
    ),
)

#: The dirty CSV to the Clean dataset card, on the local platform.
TO_CLEANING = (Turn(PURPOSE), Turn("y"), Turn("{dirty}", card="confirm_column_mapping"),
               Turn("y", card="split_validation"), Turn("y", card="clean_dataset"))

#: After a no at the bucket card the chat asks a plain question (not a card): it is no dead end.
AT_THE_BUCKET_QUESTION = (
    Conversation(
        "help-status-and-back-at-the-bucket-question",
        "At 'Which existing bucket should I use?' (after declining the bucket card), 'help' says what can be said, "
        "'status' where we are, and 'back' opens the bucket card again; none of them is taken as a bucket name.",
        (*to_card("create_bucket"), Turn("n", expect=("No bucket created",)),
         Turn("help", expect=("At the question", "Which existing bucket", "back")),
         Turn("status", expect=("No job yet", "Open now: the question", "Create the bucket (declined)")),
         Turn("back", expect=("Going back to **Create the bucket**",), card="create_bucket")),
    ),
    Conversation(
        "a-no-and-a-new-dataset-at-the-bucket-question",
        "At the bucket question a second no says what is wanted (no silent re-ask), and naming another dataset "
        "starts that dataset's mapping.",
        (*to_card("create_bucket"), Turn("n"),
         Turn("n", expect=("No bucket yet", "bucket NAME", "yes")),
         Turn("use {data2} instead", expect=("trivia2.csv",), card="confirm_column_mapping")),
    ),
    Conversation(
        "undo-the-cleaning-at-the-bucket-question",
        "'only strip-control' at the Clean dataset card changes its actions (not a no); later, at the bucket "
        "question, 'undo the cleaning' writes the files again and brings the cleaning card back.",
        (*TO_CLEANING,
         Turn("what does strip-control do?", expect=("escape codes", "Source: Dataset format › Cleaning"),
              expect_not=("Open models or Gemini", "Declined"), card="clean_dataset"),
         Turn("only strip-control", expect=("Changed actions dedupe, strip-control → strip-control",
                                            "strip-control`: 3 rows"),
              expect_not=("Declined",), card="create_bucket"),
         Turn("n", expect=("No bucket created",)),
         Turn("undo the cleaning", expect=("Going back to **Clean dataset**",), card="clean_dataset")),
    ),
    Conversation(
        "a-bucket-named-at-the-bucket-card",
        "'bucket NAME' at the bucket card changes the bucket (checked like an edit): an invalid name is refused "
        "with the reason and the card stays; an existing bucket is used, so the upload card comes next.",
        (*to_card("create_bucket"),
         Turn("bucket Bad_Name", expect=("not a valid bucket name",), expect_not=("Declined",), card="create_bucket"),
         Turn("bucket tuning-agent", expect=("Unchanged: bucket tuning-agent",), expect_not=("Declined",),
              card="create_bucket"),
         Turn("bucket team-data", expect=("Changed bucket tuning-agent → team-data",),
              expect_not=("Declined", "Created bucket"), card="upload_dataset")),
    ),
)

#: What people type at an open card that is not an answer to it (issue #12, second pass).
AT_THE_CARD = (
    *(Conversation(
        f"status-at-{card}",
        f"'status' at the {card} card says where we are (no job yet, the open card) and leaves it undecided.",
        (*to_card(card), Turn("status", expect=("No job yet", "Open now"), expect_not=("Declined", "No bucket created"),
                              card=card)),
    ) for card in ("create_bucket", "split_validation", "submit_tuning_job")),
    Conversation(
        "back-at-the-split-card-reopens-the-mapping",
        "'go back a step' at the split card reopens the column mapping; nothing is written without a decision, "
        "and approving the mapping brings the split card back.",
        (*to_card("split_validation"),
         Turn("go back a step", expect=("Going back", "Confirm the column mapping"),
              expect_not=("Declined", "all rows go to training"), card="confirm_column_mapping"),
         Turn("y", card="split_validation")),
    ),
    Conversation(
        "back-at-the-submit-card-reopens-the-configuration",
        "'back' at the submit card reopens the configuration card with its current values.",
        (*to_card("submit_tuning_job"),
         Turn("back", expect=("Going back", "Approve the model and settings"), expect_not=("Declined",),
              card="approve_configuration")),
    ),
    Conversation(
        "back-at-the-first-card",
        "'undo' at the first card says there is nothing to go back to, and the card stays.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("undo", expect=("nothing to go back to",), expect_not=("Declined",), card="choose_model_category")),
    ),
    Conversation(
        "change-at-the-configuration-card-says-changed",
        "A change typed at the configuration card is applied and the decision line says what changed.",
        (*to_card("approve_configuration"),
         Turn("use 5 epochs", expect=("Changed epochs", "→ 5"), expect_not=("Declined",),
              card="approve_configuration")),
    ),
    *(Conversation(
        f"cost-question-at-{card}",
        f"'what does this cost?' at the {card} card answers with this job's estimate (free here, a time on "
        "this machine), not a deployment price; the card stays.",
        (*to_card(card), Turn("what does this cost?", expect=("This job's estimate", "free"),
                              expect_not=("Declined", "/hour", "per hour"), card=card)),
    ) for card in ("approve_configuration", "submit_tuning_job")),
    Conversation(
        "bucket-cost-on-the-local-platform",
        "'how much does the bucket cost?' on the local platform: a local folder costs nothing; the card stays.",
        (*to_card("create_bucket"),
         Turn("how much does the bucket cost?", expect=("local folder", "Nothing"), expect_not=("Declined",),
              card="create_bucket")),
    ),
)


#: What new users typed that used to be misread (issue #12, third pass): said plainly, meant plainly.
SAID_PLAINLY = (
    Conversation(
        "too-expensive-at-the-configuration-card",
        "'no, too expensive' (or 'that's too expensive') at the configuration card asks for something cheaper: "
        "on this machine the answer is that training here is already free; nothing is declined, the card stays.",
        (*to_card("approve_configuration"),
         Turn("no, too expensive", expect=("already free",),
              expect_not=("Declined", "The configuration is unchanged"), card="approve_configuration"),
         Turn("that's too expensive", expect=("already free",), expect_not=("Declined",),
              card="approve_configuration")),
    ),
    Conversation(
        "too-pricey-at-the-submit-card",
        "'too pricey' at the submit card on this machine says training here is free; nothing is declined or "
        "submitted, and the card stays.",
        (*TO_SUBMIT, Turn("too pricey", expect=("free",), expect_not=("Declined", "Nothing was submitted",
                                                                    "Job started"), card="submit_tuning_job")),
    ),
    Conversation(
        "vertex-no-too-expensive-at-the-configuration-card",
        "On Vertex, 'no, too expensive' at the configuration card lists cheaper settings with their prices; the "
        "configuration is not declined and the card stays.",
        (*VERTEX_TO_SUBMIT[:-1],
         Turn("no, too expensive", expect=("Cheaper options", "use 1 epoch", "USD"),
              expect_not=("Declined", "The configuration is unchanged"), card="approve_configuration")),
        platform="vertex",
    ),
    Conversation(
        "use-llama-at-the-category-card",
        "'use llama' at the category card chooses open models and lists the Llama models to pick from (not "
        "another model picked silently); the one picked next is kept for the model settings.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("use llama", expect=("Category: **open**", "No Llama model can be tuned", "local/gemma-3-270m",
                                   "say which one"),
              expect_not=("Declined", "not offered", "I did not catch", "Llama 3.1 8B Instruct")),
         Turn("use Llama 3.2 1B Instruct", expect=("Noted", "llama-3.2-1b-instruct", "model settings"))),
    ),
    Conversation(
        "a-bare-family-word-at-later-cards",
        "A family said alone ('llama', 'gemma') at the column or configuration card asks which of its models: "
        "they are listed, the category is not switched and the card is not declined.",
        (*to_card("confirm_column_mapping"),
         Turn("llama", expect=("No Llama model can be tuned", "local/qwen3-0.6b", "say which one"),
              expect_not=("Declined", "Switch from", "Category: **"), card="confirm_column_mapping"),
         *TO_SUBMIT[3:7],
         Turn("gemma", expect=("local/gemma-3-270m", "say which one"),
              expect_not=("Declined", "Switch from", "Changed "), card="approve_configuration")),
    ),
    Conversation(
        "a-refused-change-claims-nothing",
        "'use 0 epochs' at the configuration card is refused with what is allowed, and nothing is said to have "
        "changed.",
        (*to_card("approve_configuration"),
         Turn("use 0 epochs", expect=("won't work", "epochs must be ≥ 1 and ≤ 50"),
              expect_not=("Changed epochs", "→ 0"), card="approve_configuration")),
    ),
    Conversation(
        "an-unclosed-csv-quote-is-named-and-can-be-skipped",
        "A CSV whose line 3 opens a quote that never closes: the error names the file, the line and column where "
        "the quote opened and what to do, and offers to skip such rows; 'skip them' goes on with the other rows.",
        (Turn(PURPOSE), Turn("y"),
         Turn("{unclosed}", expect=("unclosed.csv", "line 3", "column 2", "never closed", "skip them"),
              card="skip_bad_rows"),
         Turn("skip them", expect=("Skipped 1 unreadable", "line 3", "29 rows"), card="confirm_column_mapping")),
    ),
)

CONVERSATIONS: tuple[Conversation, ...] = (
    Conversation(
        "purpose-then-suggestions",
        "A plain purpose gets three different model suggestions, each with pros and cons.",
        (Turn(PURPOSE, expect=("open", "gemini", "budget pick", "pros", "cons"), card="choose_model_category"),),
    ),
    *(Conversation(
        f"purpose-phrasing-{i}",
        f"A purpose phrased as {text!r} is kept and yields the three suggestions.",
        (Turn(text, expect=("budget pick", "pros", "cons"), expect_not=("I did not catch",),
              card="choose_model_category"),),
    ) for i, text in enumerate(PURPOSES, 1)),
    Conversation(
        "purpose-typed-at-the-bare-category-card",
        "Someone who first asks what the tool does, then types a purpose at the category card, gets suggestions.",
        (Turn("what can you do?", card="choose_model_category"),
         Turn("I'm building a bot that answers trivia questions", expect=("budget pick",),
              expect_not=("I did not catch",), card="choose_model_category")),
    ),
    Conversation(
        "purpose-with-a-question",
        "A purpose stated with a question keeps the purpose (suggestions) and answers the question.",
        (Turn("I'm building a bot for trivia night — what setup do I need?",
              expect=("budget pick", "gcloud", "Source:"), card="choose_model_category"),),
    ),
    Conversation(
        "question-at-category-card-is-answered",
        "A question typed at the category card is answered from the notes and the card comes back.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("what is LoRA?", expect=("adapter",), card="choose_model_category")),
    ),
    Conversation(
        "open-vs-gemini-question-is-not-a-choice",
        "Asking about open vs Gemini at the category card answers it; nothing is chosen.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("should I pick open or gemini?", expect=("Open models or Gemini",),
              expect_not=("Category: **gemini**",), card="choose_model_category")),
    ),
    Conversation(
        "short-answer-names-its-source",
        "A question gets a short answer naming its source section, not the whole page.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("how many epochs should I use?", expect=("Source: Tuning concepts › Epochs",),
              expect_not=("Overfitting",))),
    ),
    *(Conversation(
        f"question-at-{card}",
        f"A question at the {card} card is answered briefly, naming its source, and the same card comes back "
        "undecided.",
        (*to_card(card), Turn(question, expect=(word, "Source:"), expect_not=("Approved", "Declined"), card=card)),
    ) for card, question, word in QUESTIONS_AT_CARDS[1:]),
    Conversation(
        "question-while-asked-for-the-dataset",
        "A question asked when the dataset is wanted is answered, and the dataset is asked for again.",
        (Turn(PURPOSE), Turn("y"),
         Turn("what format should my file be in?", expect=("Source: Dataset format", "Which dataset")),
         Turn("{data}", card="confirm_column_mapping")),
    ),
    Conversation(
        "choose-open-then-dataset",
        "Approving the category moves on to the dataset.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("y", expect=("dataset",)),
         Turn("{data}", card="confirm_column_mapping")),
    ),
    Conversation(
        "choose-by-name-at-category-card",
        "Typing 'the open one' at the category card chooses open models.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("the open one", expect=("Category: **open**", "dataset"))),
    ),
    Conversation(
        "unclear-answer-at-category-card-says-what-to-say",
        "Something the category card cannot use gets told what it can say, and the card comes back.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("hmm not sure", expect=("open", "gemini", "what the model is for"), card="choose_model_category")),
    ),
    Conversation(
        "change-category-after-choosing",
        "Naming Gemini at the column card (after choosing open) asks before switching; nothing is lost.",
        (*to_card("confirm_column_mapping"),
         Turn("actually switch to gemini", expect=("Switch from **open** to **gemini**",),
              card="choose_model_category"),
         Turn("n", expect=("Staying with **open**",), card="confirm_column_mapping")),
    ),
    Conversation(
        "split-no-with-details",
        "A typed no with details at the split card uses the details, not the default.",
        (Turn(PURPOSE), Turn("y"), Turn("{data}"), Turn("y", card="split_validation"),
         Turn("no, hold out 10%", expect=("10%",), card="create_bucket")),
    ),
    Conversation(
        "no-validation-at-split-card",
        "'no validation' at the split card trains on every row.",
        (*to_card("split_validation"), Turn("no validation", expect=("all rows go to training",),
                                            card="create_bucket")),
    ),
    Conversation(
        "epochs-said-before-the-settings-wait-for-them",
        "A setting typed before the configuration step is kept (the open card stays) and applied there.",
        (*to_card("upload_dataset"),
         Turn("use 4 epochs", expect=("Noted", "epochs = 4"), card="upload_dataset"),
         Turn("y", expect=("| epochs | 4 |",), card="approve_configuration")),
    ),
    Conversation(
        "change-at-configuration-card",
        "A change typed at the configuration card shows the card again with the change and a new cost.",
        (*to_card("approve_configuration"),
         Turn("use 3 epochs", expect=("| epochs | 3 |", "recomputed"), card="approve_configuration")),
    ),
    Conversation(
        "invalid-change-is-refused-with-the-reason",
        "An impossible setting is refused with the allowed range, and the configuration card stays.",
        (*to_card("approve_configuration"),
         Turn("use 0 epochs", expect=("won't work", "epochs"), card="approve_configuration")),
    ),
    Conversation(
        "local-path-to-submit-card",
        "Approving every card on the local platform reaches the submit card with the literal command.",
        (*TO_SUBMIT[:-1], Turn("y", expect=("tuning-agent job submit", "--platform local"), card="submit_tuning_job")),
    ),
    Conversation(
        "change-at-submit-card-is-kept",
        "A change typed at the submit card goes back to the configuration and comes back with it applied.",
        (*TO_SUBMIT, Turn("use 2 epochs", expect=("epochs", "2", "cost"), expect_not=("Nothing was submitted",),
                          card="approve_configuration"),
         Turn("y", expect=("--epochs 2",), card="submit_tuning_job")),
    ),
    Conversation(
        "learning-rate-change-at-submit-card",
        "A learning rate typed at the submit card is never submitted with the old one.",
        (*TO_SUBMIT, Turn("set the learning rate to 0.001", expect=("0.001",), card="approve_configuration"),
         Turn("y", expect=("--learning-rate 0.001",), card="submit_tuning_job")),
    ),
    Conversation(
        "decline-submit-then-submit",
        "Declining the submit card submits nothing; saying submit later brings the card back.",
        (*TO_SUBMIT, Turn("n", expect=("Nothing was submitted",)),
         Turn("submit", card="submit_tuning_job")),
    ),
    Conversation(
        "hesitant-yes-at-the-submit-card-submits-nothing",
        "At the submit card (it spends money) only a plain yes submits: 'ok wait', 'right, hold on', 'go away', "
        "'correct me if wrong' and 'submit it later maybe' leave the card open and say what to type; "
        "'go ahead' then submits.",
        (*TO_SUBMIT,
         *(Turn(said, expect=("Not submitted", "yes"), expect_not=("Job submitted",), card="submit_tuning_job")
           for said in ("ok wait", "right, hold on", "go away", "correct me if wrong", "submit it later maybe")),
         Turn("go ahead", expect=("Job submitted",), card="monitor_job")),
    ),
    Conversation(
        "status-before-any-job",
        "Asking for the status before a job exists says so and keeps the card.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("how is my job doing?", expect_not=("Category: **",), card="choose_model_category")),
    ),
    Conversation(
        "another-dataset-at-the-column-card",
        "Naming another file at the column card uses that file instead.",
        (*to_card("confirm_column_mapping"),
         Turn("use {data2} instead", expect=("trivia2.csv",), card="confirm_column_mapping")),
    ),
    Conversation(
        "go-with-gemini-at-the-column-card",
        "'let's go with gemini instead' at the column card is a change of category (asked first, dataset kept), "
        "not a no to the mapping.",
        (*to_card("confirm_column_mapping"),
         Turn("let's go with gemini instead", expect=("Switch from **open** to **gemini**", "dataset"),
              expect_not=("Declined", "Tell me the columns"), card="choose_model_category"),
         Turn("y", expect=("Switched to **gemini**",), expect_not=("Which dataset",), card="confirm_column_mapping")),
    ),
    Conversation(
        "help-with-my-data-is-a-question",
        "'I need help with my data' asks about the data: the format and the column mapping are explained and the "
        "file is asked for; it is not taken as what the model is for.",
        (Turn(PURPOSE), Turn("y"),
         Turn("I need help with my data — it has three columns", expect=("JSONL", "columns", "Which dataset"),
              expect_not=("budget pick", "three catalog suggestions")),
         Turn("{data}", card="confirm_column_mapping")),
    ),
    Conversation(
        "help-with-my-data-at-the-category-card",
        "Asking for help with the data at the category card is answered; the card stays and nothing is chosen.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("I need help with my data, it's a spreadsheet with three columns", expect=("Source: Dataset format",),
              expect_not=("Category: **",), card="choose_model_category")),
    ),
    Conversation(
        "bucket-cost-question",
        "On Vertex, 'how much does the bucket cost?' is answered about Cloud Storage, not with the tuning price "
        "(on the local platform the bucket is a folder: see bucket-cost-on-the-local-platform).",
        (*VERTEX_TO_SUBMIT[:6],
         Turn("how much does the bucket cost?", expect=("Cloud Storage", "Source: Cost and time › What does the "
                                                         "bucket cost"),
              expect_not=("training tokens",), card="create_bucket")),
        platform="vertex",
    ),
    Conversation(
        "validation-share-above-the-limit",
        "'hold out 90%' is more than the service takes: the most allowed is said and the split card stays; "
        "nothing is decided for the person.",
        (*to_card("split_validation"),
         Turn("hold out 90%", expect=("90%", "the most is **20%**"), expect_not=("all rows go to training",
                                                                              "Validation split:"),
              card="split_validation"),
         Turn("y", expect=("Validation split: 20%",), card="create_bucket")),
    ),
    Conversation(
        "a-folder-as-the-dataset",
        "A folder given as the dataset lists the data files in it (not other files) and asks which; a number picks.",
        (Turn(PURPOSE), Turn("y"),
         Turn("{folder}", expect=("is a folder", "trivia.csv", "more/extra.jsonl", "Which one"),
              expect_not=("notes.txt", "can't find")),
         Turn("1", expect=("trivia.csv", "30 rows"), card="confirm_column_mapping")),
    ),
    Conversation(
        "a-bucket-folder-as-the-dataset",
        "A folder in a bucket (a URI prefix) given as the dataset lists the data files under it, not other "
        "files or a job's output, and asks which; a number picks.",
        (Turn(PURPOSE), Turn("y"),
         Turn("my data is in local://team-data/support/",
              expect=("is a folder", "trivia.csv", "2026/extra.jsonl", "Which one"),
              expect_not=("readme.txt", "config.json", "can't find")),
         Turn("1", expect=("trivia.csv", "30 rows"), card="confirm_column_mapping")),
    ),
    Conversation(
        "a-bucket-folder-then-a-file-name",
        "After a bucket folder's listing (named without a trailing slash), a file can be named by its name.",
        (Turn(PURPOSE), Turn("y"), Turn("local://team-data/support", expect=("is a folder",)),
         Turn("2026/extra.jsonl", expect=("prompt_completion",), card="confirm_column_mapping")),
    ),
    Conversation(
        "a-relative-folder-and-a-number-not-in-the-list",
        "A folder named relative to where the chat runs ('datasets/', no './') is listed; a number that is not "
        "in the list says so and keeps the list, and a number in it picks.",
        (Turn(PURPOSE), Turn("y"),
         Turn("datasets/", expect=("is a folder", "trivia.csv", "extra.jsonl", "Which one")),
         Turn("7", expect=("There is no file 7", "from 1 to 2"), expect_not=("Hugging Face dataset",)),
         Turn("2", expect=("trivia.csv", "30 rows"), card="confirm_column_mapping")),
    ),
    Conversation(
        "a-model-switch-names-the-settings-it-brings",
        "Switching the model at the configuration card also changes the settings that come with that model; the "
        "card says which, so nothing changes unseen.",
        (*to_card("approve_configuration"),
         Turn("use local/smollm2-135m with 2 epochs", expect=("| epochs | 2 |", "brings its own settings"),
              card="approve_configuration")),
    ),
    Conversation(
        "a-folder-then-a-file-name",
        "After a folder listing, the file can be named by its name alone.",
        (Turn(PURPOSE), Turn("y"), Turn("my data is in {folder}", expect=("is a folder",)),
         Turn("more/extra.jsonl", expect=("prompt_completion",), card="confirm_column_mapping")),
    ),
    *(Conversation(
        f"{word}-at-the-{card}-card",
        f"'{word}' at the {card} card ends politely: where the person is, that nothing was decided, how to "
        "resume; it is never read as a choice or an answer.",
        (*to_card(card), Turn(word, expect=("You stopped at the card", "nothing on it was decided", "Resume with"),
                              expect_not=("Category: **", "Declined", "Approved", "I did not catch"))),
    ) for word, card in (("stop", "choose_model_category"), ("cancel", "choose_model_category"),
                         ("quit", "choose_model_category"), ("cancel", "approve_configuration"),
                         ("stop", "split_validation"))),
    Conversation(
        "a-family-without-a-size-at-the-configuration-card",
        "'can I use Llama instead?' names a family, not a model: on this machine no Llama model tunes, which "
        "is said with the local models that do, and the configuration card stays.",
        (*to_card("approve_configuration"),
         Turn("can I use Llama instead?", expect=("No Llama model can be tuned", "local/qwen3-0.6b", "say which one"),
              expect_not=("Category: **", "Declined", "Switch from", "Llama 3.1 8B Instruct"),
              card="approve_configuration")),
    ),
    Conversation(
        "a-family-at-the-column-card",
        "Naming a family at the column card lists its models; the mapping is not declined.",
        (*to_card("confirm_column_mapping"),
         Turn("could we go with qwen?", expect=("local/qwen3-0.6b", "say which one"),
              expect_not=("Declined", "Tell me the columns", "Qwen 3 4B"), card="confirm_column_mapping")),
    ),
    Conversation(
        "a-family-on-this-machine-lists-what-tunes-here",
        "On the local platform a family lists the local models of it that tune here (gemma: Gemma 3 270M), not "
        "the Vertex catalog's; a Vertex model named at a later card is not refused at the configuration card: "
        "the stand-in the model-choice card promised trains in its place, and the card says so.",
        (Turn(PURPOSE, card="choose_model_category"),
         Turn("what about gemma?", expect=("local/gemma-3-270m", "say which one"),
              expect_not=("Gemma 3 1B IT", "Qwen3 0.6B"), card="choose_model_category"),
         Turn("y"), Turn("{data}", card="confirm_column_mapping"),
         Turn("use Llama 3.2 1B Instruct", card="confirm_column_mapping"),
         Turn("y", card="split_validation"), Turn("y", card="create_bucket"), Turn("y", card="upload_dataset"),
         Turn("y", expect=("stands in for Llama 3.2 1B Instruct",),
              expect_not=("can't be used on this machine", "won't work"), card="approve_configuration")),
    ),
    Conversation(
        "make-it-cheaper-on-this-machine",
        "On the local platform, 'make it cheaper' at the submit card says training here is free; nothing is "
        "submitted and the card stays.",
        (*TO_SUBMIT, Turn("make it cheaper", expect=("free",), expect_not=("Nothing was submitted", "Job started"),
                          card="submit_tuning_job")),
    ),
    Conversation(
        "a-broken-csv-row-is-skipped-when-asked",
        "A CSV with one broken row: the error names the file, line and column and offers to skip such rows; "
        "'skip them' skips them, says which, and the conversation goes on to the mapping and the files.",
        (Turn(PURPOSE), Turn("y"),
         Turn("{broken}", expect=("broken.csv", "line 4", "column 3", "skip them"), card="skip_bad_rows"),
         Turn("skip them", expect=("Skipped 1 unreadable", "line 4"), card="confirm_column_mapping"),
         Turn("y", card="split_validation"),
         Turn("y", expect=("unreadable", "The files pass validation"), card="create_bucket")),
    ),
    Conversation(
        "a-broken-csv-row-not-skipped",
        "Saying no to skipping the broken rows skips nothing and asks for a fixed file (or another dataset).",
        (Turn(PURPOSE), Turn("y"), Turn("{broken}", card="skip_bad_rows"),
         Turn("n", expect=("Nothing skipped", "Fix"), expect_not=("Skipped 1",)),
         Turn("{data}", card="confirm_column_mapping")),
    ),
    # ---- Vertex AI, through the fake servers -------------------------------------------------
    Conversation(
        "vertex-purpose-with-a-question",
        "On Vertex, a purpose with a setup question: the checklist section is quoted and the suggestions shown.",
        (Turn("We're building a triage assistant for support tickets. What do I need to set up?",
              expect=("budget pick", "gcloud", "Source:"), card="choose_model_category"),),
        platform="vertex",
    ),
    Conversation(
        "vertex-question-at-project-card",
        "On Vertex, a question at the project/region card is answered and the same card comes back.",
        (Turn(PURPOSE), Turn("y", card="confirm_project_region"),
         Turn("what is the global location?", expect=("Source:", "global"), card="confirm_project_region")),
        platform="vertex",
    ),
    Conversation(
        "vertex-to-the-column-card",
        "On Vertex, approving the category and the project leads through the checks to the column card.",
        VERTEX_TO_COLUMNS,
        platform="vertex",
    ),
    Conversation(
        "vertex-change-at-submit-card",
        "On Vertex, '4 epochs' at the submit card brings the configuration back, then a submit card with 4; the "
        "Model Garden id (with '@') is code, so a chat UI does not make it an e-mail link.",
        (*VERTEX_TO_SUBMIT, Turn("use 4 epochs", expect=("| epochs | 4 |", "| base_model | `google/"),
                                 card="approve_configuration"),
         Turn("y", expect=("epoch",), card="submit_tuning_job")),
        platform="vertex",
    ),
    Conversation(
        "vertex-question-at-submit-card",
        "On Vertex, a cost question at the submit card is answered with the card's own estimate (and its billing "
        "note) and nothing is submitted.",
        (*VERTEX_TO_SUBMIT, Turn("how much will this cost?", expect=("This job's estimate", "billing may differ"),
                                 expect_not=("Job submitted",), card="submit_tuning_job")),
        platform="vertex",
    ),
    Conversation(
        "vertex-go-with-gemini-at-the-column-card",
        "On Vertex, 'let's go with gemini instead' at the column card asks to switch; approved, the region is "
        "confirmed for Gemini and the same dataset comes back (not asked for again).",
        (*VERTEX_TO_COLUMNS,
         Turn("let's go with gemini instead", expect=("Switch from **open** to **gemini**",),
              expect_not=("Declined",), card="choose_model_category"),
         Turn("y", expect=("Switched to **gemini**", "Valid regions for gemini"), card="confirm_project_region"),
         Turn("y", expect=("question", "answer"), expect_not=("Which dataset",), card="confirm_column_mapping")),
        platform="vertex",
    ),
    Conversation(
        "vertex-make-it-cheaper-at-the-configuration-card",
        "On Vertex, 'make it cheaper' at the configuration card lists cheaper settings priced on this data "
        "(fewer epochs, a smaller model) and keeps the card; picking one applies it.",
        (*VERTEX_TO_SUBMIT[:-1],
         Turn("make it cheaper", expect=("Cheaper options", "1 epoch instead of 2", "use 1 epoch", "USD"),
              expect_not=("$",), card="approve_configuration"),
         Turn("use 1 epoch", expect=("| epochs | 1 |",), card="approve_configuration")),
        platform="vertex",
    ),
    Conversation(
        "vertex-make-it-cheaper-at-the-submit-card",
        "On Vertex, 'can you make it cheaper?' at the submit card answers with cheaper options; nothing is submitted.",
        (*VERTEX_TO_SUBMIT,
         Turn("can you make it cheaper?", expect=("Cheaper options", "epoch"),
              expect_not=("Job submitted", "Nothing was submitted"), card="submit_tuning_job")),
        platform="vertex",
    ),
    Conversation(
        "vertex-bucket-cost-at-the-bucket-card",
        "On Vertex, the bucket's cost is answered about Cloud Storage at the bucket card, which stays open.",
        (*VERTEX_TO_SUBMIT[:6],
         Turn("how much does the bucket cost?", expect=("Cloud Storage",), expect_not=("training tokens",),
              card="create_bucket")),
        platform="vertex",
    ),
    Conversation(
        "vertex-validation-share-above-the-limit",
        "On Vertex, 'hold out 60%' gets the most allowed and the split card stays.",
        (*VERTEX_TO_SUBMIT[:5],
         Turn("hold out 60%", expect=("the most is **20%**",), expect_not=("all rows go to training",),
              card="split_validation")),
        platform="vertex",
    ),
    Conversation(
        "vertex-stop-at-the-project-card",
        "On Vertex, 'stop' at the project/region card ends politely, saying where and how to resume.",
        (Turn(PURPOSE), Turn("y", card="confirm_project_region"),
         Turn("stop", expect=("You stopped at the card", "Confirm the project and region", "Resume with"),
              expect_not=("Project **",))),
        platform="vertex",
    ),
    Conversation(
        "vertex-family-at-the-submit-card",
        "On Vertex, 'what about gemma?' at the submit card lists the Gemma models; nothing is submitted.",
        (*VERTEX_TO_SUBMIT,
         Turn("what about gemma?", expect=("Gemma 3 1B IT", "say which one"), expect_not=("Job submitted",),
              card="submit_tuning_job")),
        platform="vertex",
    ),
    Conversation(
        "vertex-no-at-the-bucket-card-says-what-next",
        "On Vertex, 'n' at the bucket card declines at once (no extra prompt) and says what happens next.",
        (*VERTEX_TO_SUBMIT[:6],
         Turn("n", expect=("No bucket created", "bucket NAME"), expect_not=("Reason",))),
        platform="vertex",
    ),
    *FAILING_LLM,
    *AT_THE_CARD,
    *AT_THE_BUCKET_QUESTION,
    *SAID_PLAINLY,
)
