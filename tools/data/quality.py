"""A data quality report built in the same streaming pass as convert/validate/inspect.

A dataset can pass every schema check and still teach the model the wrong thing: the
same prompt in every row, terminal colour codes in every answer, duplicates, examples
the model will truncate. `QualityScan.add` looks at one neutral conversation at a time
and keeps only bounded state: 64-bit hashes for the duplicate checks (capped), a
log-scale length histogram for percentiles, a uniform reservoir sample of rows (the
script mix and the most frequent prompts/answers are measured on it: exact for small
files, within a few percent for large ones) and a few examples per finding. Scans of
byte ranges (the parallel validator) merge into one.

`QualityScan.report()` turns the figures into `Finding`s, each with a severity and a
suggested fix; `quality_report_markdown` renders a report for the chat.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from typing import NamedTuple

from tools.data import scripts
from tools.data.limits import DEFAULT_TOKENS_PER_CHAR
from tools.data.lines import line_key as _xxh3
from tools.data.models import Finding, QualityReport, Severity

#: Remember this many row hashes for exact duplicates, and this many prompts for conflicting answers.
MAX_TRACKED_ROWS = 2_000_000
MAX_TRACKED_PROMPTS = 1_000_000
#: Rows kept in the reservoir sample (script mix, examples), and characters kept per text.
SAMPLE_ROWS = 512
SAMPLE_TEXT_CHARS = 300
EXAMPLES = 3
#: Rows whose JSON lines are checked for control characters together.
_BLOCK_ROWS = 256
_LOG2 = math.log2
#: Texts up to this long are compared whole; longer ones by `_fingerprint`.
_FULL_KEY_CHARS = 600
_EXAMPLE_CHARS = 120
#: Length histogram resolution: 16 buckets per doubling (each about 4.4% wide).
_BUCKETS_PER_DOUBLING = 16
#: A value this common in a field is reported (warning), and this common is severe.
NEAR_CONSTANT_SHARE = 0.2
CONSTANT_SHARE = 0.5
#: An answer this short (characters, spaces aside) is "very short".
SHORT_ANSWER_CHARS = 2
#: Without a model, examples longer than this many tokens are reported as very long.
LONG_EXAMPLE_TOKENS = 8192

_SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b\u200e\u200f\u202a-\u202e"
                      "\u2060-\u2064\ufeff\ufff9-\ufffb]")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_NUL = "\x00"
#: The same characters as _SUSPECT, in a JSON line written by orjson (which escapes C0 controls as
#: `\u00XX`, `\b`, `\f` and writes everything else as raw UTF-8). Bytes searches are much faster
#: than a regex over the text, so a line that has none of these needs no closer look.
_JSON_ESCAPE = re.compile(rb"\\[ubf]")
_SUSPECT_JSON = re.compile(rb"\\u00|\\[bf]|\x7f|\xc2[\x80-\x9f\xad]|\xe2\x80[\x8b\x8e\x8f\xaa-\xae]|"
                           rb"\xe2\x81[\xa0-\xa4]|\xef\xbb\xbf|\xef\xbf[\xb9-\xbb]")
_INVISIBLE = re.compile("[\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufff9-\ufffb]")
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Finding kinds.
DUPLICATE_ROWS = "duplicate rows"
CONFLICTING_ANSWERS = "duplicate prompts with different answers"
CONSTANT_PROMPT = "constant prompt"
CONSTANT_COMPLETION = "constant completion"
CONSTANT_SYSTEM = "constant system prompt"
ANSI_ESCAPES = "ANSI escape codes"
NUL_CHARS = "NUL characters"
CONTROL_CHARS = "control characters"
INVISIBLE_CHARS = "invisible characters"
EMPTY_TURNS = "empty or whitespace-only turns"
SHORT_EXAMPLES = "very short answers"
LONG_EXAMPLES = "very long examples"
OVER_LIMIT = "over the model's maximum length"
MISSING_SYSTEM = "missing system prompts"
NON_LATIN = "non-Latin script mix"


def strip_control(text: str) -> str:
    """`text` without ANSI escape sequences, NUL, other control characters (tabs and newlines stay)
    and invisible format characters."""
    if not _SUSPECT.search(text):
        return text
    return _SUSPECT.sub("", _ANSI.sub("", text))


def has_control(text: str) -> bool:
    return _SUSPECT.search(text) is not None


def _key(text: str) -> int:
    return _xxh3(text.encode("utf-8", "surrogatepass"))


def _fingerprint(text: str) -> str:
    """A long text's stand-in for comparisons: its length, head and tail (hashing whole answers of a
    few kilobytes per row is the slowest part of the scan; two different texts that agree in length,
    first and last 256 characters are vanishingly rare)."""
    return f"{len(text)}\x00{text[:256]}\x00{text[-256:]}"


def _strings(value: object, out: list[str]) -> None:
    """Every string value in a parsed JSON record (the texts; role names are plain words)."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


def _escaped(match: re.Match[str]) -> str:
    return ascii(match.group())[1:-1]


def _snippet(text: str) -> str:
    """A short example with control and invisible characters made visible (`\\x1b`, `\\u200b`)."""
    flat = text if len(text) <= _EXAMPLE_CHARS else text[:_EXAMPLE_CHARS] + "…"
    return _SUSPECT.sub(_escaped, flat)


class _Tally:
    """A count of rows (and of characters) with one problem, the first lines and examples."""

    def __init__(self) -> None:
        self.rows = 0
        self.chars = 0
        self.lines: list[int] = []
        self.examples: list[str] = []

    def hit(self, loc: int, example: str, chars: int = 0) -> None:
        self.rows += 1
        self.chars += chars
        if len(self.lines) < EXAMPLES:
            self.lines.append(loc)
            self.examples.append(example)

    def merge(self, other: _Tally, offset: int) -> None:
        self.rows += other.rows
        self.chars += other.chars
        for loc, ex in zip(other.lines, other.examples, strict=True):
            if len(self.lines) < EXAMPLES:
                self.lines.append(loc + offset)
                self.examples.append(ex)


class Sampled(NamedTuple):
    """One row of the reservoir sample: its length, texts (cut), and hashes of prompt, completion, system."""

    chars: int
    texts: list[str]
    prompt: int
    completion: int
    system: int | None


class QualityScan:
    """Quality figures over a stream of neutral conversations (`add` one row at a time).

    `max_tokens`/`tokens_per_char` give the model's length limit (rows over it are counted).
    Per row it does only cheap work: counters, two string hashes, and (with the JSON line)
    a few byte searches per block of rows; what needs the text itself (script mix, most
    frequent values) is measured on a uniform sample of SAMPLE_ROWS rows at report time,
    exact for files of at most that many rows.
    """

    def __init__(self, *, max_tokens: int | None = None, tokens_per_char: float | None = None,
                 model: str | None = None, seed: int = 0, portable_keys: bool = False) -> None:
        self.max_tokens = max_tokens
        self.ratio = tokens_per_char or DEFAULT_TOKENS_PER_CHAR
        self.max_chars = int(max_tokens / self.ratio) if max_tokens else None
        self._long_chars = self.max_chars if self.max_chars is not None else int(LONG_EXAMPLE_TOKENS / self.ratio)
        self.model = model
        #: Python's str hash is cached on the string and fast, but seeded per process: scans that are
        #: merged across processes (the parallel validator) use a portable 64-bit hash instead.
        self._key: Callable[[str], int] = _key if portable_keys else hash
        self.rows = 0
        self.with_system = 0
        self.no_system_lines: list[int] = []  # the first rows without a system prompt
        self.seen: set[int] = set()
        self.seen_full = False
        self.answers: dict[int, int] = {}
        self.turns: dict[int, int] = {}
        self.lengths: dict[int, int] = {}  # histogram bucket of characters per row → rows
        self.min_chars = 0
        self.max_chars_seen = 0
        self.tallies: dict[str, _Tally] = {}
        self.over_tokens_max = 0
        self.sample: list[Sampled] = []
        self._pending: list[bytes] = []  # JSON lines not yet checked for control characters
        self._pending_locs: list[int] = []
        self._rng = random.Random(seed)
        self._next_sampled = 1  # the row number (1-based) the reservoir takes next
        self._weight = 1.0  # algorithm L's running weight
        #: The hash for a JSON line: Python's (cached on the bytes) or, for portable keys, xxh3.
        self._line_key: Callable[[bytes], int] = _xxh3 if portable_keys else hash

    def _tally(self, kind: str) -> _Tally:
        tally = self.tallies.get(kind)
        if tally is None:
            tally = self.tallies[kind] = _Tally()
        return tally

    def seen_before(self, loc: int, key: int, prompt: str) -> bool:
        """The exact-duplicate check on a 64-bit row hash: True (and counted) if the row came before."""
        if key in self.seen:
            self._tally(DUPLICATE_ROWS).hit(loc, _snippet(prompt))
            return True
        if len(self.seen) < MAX_TRACKED_ROWS:
            self.seen.add(key)
        else:
            self.seen_full = True
        return False

    def add(self, loc: int, system: str | None, turns: list[tuple[str, str]], json_line: bytes | None = None) -> None:
        """Take one row into account (call `seen_before` first where exact duplicates are to be found).

        `json_line` is the row as orjson wrote it, when the caller has it (convert always does, the
        validator and inspect never): control characters are then looked for with byte searches over
        blocks of lines instead of a regex over every text, and the line's hash (computed, and cached
        on the bytes, by `seen_before`'s caller) stands for the answer in the conflicting-answers check.
        """
        self.rows += 1
        n_turns = len(turns)
        user_turns = (n_turns + 1) >> 1
        tally = self.turns
        tally[user_turns] = tally.get(user_turns, 0) + 1
        chars = 0
        for _, text in turns:  # (empty turns never get here: readers drop them, validation flags them)
            chars += len(text)
        skey = None
        if system:
            self.with_system += 1
            chars += len(system)
            skey = self._key(system)
        elif len(self.no_system_lines) < EXAMPLES:
            self.no_system_lines.append(loc)
        if json_line is not None:
            self._pending.append(json_line)
            self._pending_locs.append(loc)
            if len(self._pending) >= _BLOCK_ROWS:
                self._flush()
        else:
            self._check_texts(loc, system, turns)
        pkey = 0
        if n_turns:
            prompt = turns[0][1]
            pkey = self._key(prompt if len(prompt) <= _FULL_KEY_CHARS else _fingerprint(prompt))
            if n_turns == 2:
                # Same system prompt and prompt, different answer. Keyed by both: under another system
                # prompt a different answer can be right.
                context = pkey if skey is None else hash((skey, pkey))
                answer = self._line_key(json_line) if json_line is not None else self._text_key(turns[1][1])
                earlier = self.answers.get(context)
                if earlier is None:
                    if len(self.answers) < MAX_TRACKED_PROMPTS:
                        self.answers[context] = answer
                elif earlier != answer:
                    self._tally(CONFLICTING_ANSWERS).hit(loc, f"{_snippet(prompt)} → {_snippet(turns[1][1])}")
            completion = turns[-1][1]
            if len(completion) <= SHORT_ANSWER_CHARS + 2 and len(completion.strip()) <= SHORT_ANSWER_CHARS:
                self._tally(SHORT_EXAMPLES).hit(loc, f"{_snippet(prompt)} → {completion.strip()!r}")
        bucket = int(_LOG2(chars) * _BUCKETS_PER_DOUBLING) if chars > 0 else -1
        tally = self.lengths
        tally[bucket] = tally.get(bucket, 0) + 1
        if chars > self.max_chars_seen:
            self.max_chars_seen = chars
        if chars < self.min_chars or self.rows == 1:
            self.min_chars = chars
        if chars > self._long_chars:
            self.too_long(loc, chars, turns[0][1] if turns else "")
        if self.rows == self._next_sampled:
            self._take_sample(self._sampled(chars, system, turns, pkey, skey))

    def _text_key(self, text: str) -> int:
        return self._key(text if len(text) <= _FULL_KEY_CHARS else _fingerprint(text))

    def _take_sample(self, row: Sampled) -> None:
        """Reservoir sampling, Li's algorithm L: every row has the same chance to be in the sample, and
        the random numbers are drawn per row taken (a few thousand in a million rows), not per row seen."""
        rng = self._rng
        if len(self.sample) < SAMPLE_ROWS:
            self.sample.append(row)
            if len(self.sample) < SAMPLE_ROWS:
                self._next_sampled += 1
                return
        else:
            self.sample[int(rng.random() * SAMPLE_ROWS)] = row
        self._weight *= math.exp(math.log(1.0 - rng.random()) / SAMPLE_ROWS)
        skip = math.floor(math.log(1.0 - rng.random()) / math.log1p(-self._weight)) if self._weight < 1.0 else 0
        self._next_sampled += skip + 1

    def _sampled(self, chars: int, system: str | None, turns: list[tuple[str, str]], pkey: int,
                 skey: int | None) -> Sampled:
        texts = [t[:SAMPLE_TEXT_CHARS] for t in ([system] if system else []) + [t for _, t in turns]]
        return Sampled(chars, texts, pkey, self._text_key(turns[-1][1]) if turns else 0, skey)

    def _flush(self) -> None:
        """Check a block of pending rows for control characters: byte searches over the joined lines
        (memchr speed), and the exact regex only on the lines of a block that has a suspect byte."""
        pending, locs = self._pending, self._pending_locs
        self._pending, self._pending_locs = [], []
        if not pending:
            return
        blob = b"".join(pending)
        # Single bytes are found with memchr; the escapes need one regex pass (about 2-3 ns a byte,
        # the largest part of the scan's cost).
        if not (b"\xe2" in blob or b"\xc2" in blob or b"\xef" in blob or b"\x7f" in blob
                or _JSON_ESCAPE.search(blob)):
            return
        import orjson

        for loc, line in zip(locs, pending, strict=True):
            if _SUSPECT_JSON.search(line):
                texts: list[str] = []
                _strings(orjson.loads(line), texts)
                self._check_texts(loc, None, [("", t) for t in texts])

    def _check_texts(self, loc: int, system: str | None, turns: list[tuple[str, str]]) -> None:
        texts = [system or "", *(t for _, t in turns)]
        if any(_SUSPECT.search(t) for t in texts if t):
            self._control(loc, texts)

    def _control(self, loc: int, texts: list[str]) -> None:
        found: dict[str, tuple[int, str]] = {}
        for text in texts:
            if not text or not _SUSPECT.search(text):
                continue
            ansi = _ANSI.findall(text)
            rest = _ANSI.sub("", text) if ansi else text
            for kind, n in ((ANSI_ESCAPES, len(ansi)), (NUL_CHARS, rest.count(_NUL)),
                            (CONTROL_CHARS, len(_CONTROL.findall(rest))),
                            (INVISIBLE_CHARS, len(_INVISIBLE.findall(rest)))):
                if n:
                    before = found.get(kind, (0, _snippet(text)))
                    found[kind] = (before[0] + n, before[1])
        for kind, (n, example) in found.items():
            self._tally(kind).hit(loc, example, n)

    def too_long(self, loc: int, chars: int, prompt: str) -> None:
        """Count a row over the length limit (also called by convert for the rows it drops as too long)."""
        tokens = round(chars * self.ratio)
        self.over_tokens_max = max(self.over_tokens_max, tokens)
        self._tally(OVER_LIMIT if self.max_chars is not None else LONG_EXAMPLES).hit(
            loc, f"about {tokens:,} tokens: {_snippet(prompt)}")

    def duplicates_found(self, count: int, lines: list[int]) -> None:
        """Record exact duplicates the caller found itself (the validator's whole-file check)."""
        if count:
            tally = self._tally(DUPLICATE_ROWS)
            tally.rows += count
            tally.lines = lines[:EXAMPLES]
            tally.examples = [f"line {n} repeats an earlier line" for n in tally.lines]

    def merge(self, other: QualityScan, line_offset: int) -> None:
        """Add the figures of a scan of a later part of the same file (its lines start after `line_offset`)."""
        self._flush()
        other._flush()
        total = self.rows + other.rows
        if other.sample and total:
            keep_mine = round(SAMPLE_ROWS * self.rows / total)
            mine = self._rng.sample(self.sample, min(keep_mine, len(self.sample)))
            theirs = self._rng.sample(other.sample, min(SAMPLE_ROWS - len(mine), len(other.sample)))
            self.sample = mine + theirs
        if other.rows:
            self.min_chars = min(self.min_chars, other.min_chars) if self.rows else other.min_chars
        self.rows = total
        self.with_system += other.with_system
        self.no_system_lines = (self.no_system_lines + [n + line_offset for n in other.no_system_lines])[:EXAMPLES]
        for key, value in other.answers.items():
            earlier = self.answers.get(key)
            if earlier is None:
                if len(self.answers) < MAX_TRACKED_PROMPTS:
                    self.answers[key] = value
            elif earlier != value:
                self._tally(CONFLICTING_ANSWERS).hit(line_offset + 1, "(a prompt repeated across parts of the file)")
        for table_mine, table_theirs in ((self.turns, other.turns), (self.lengths, other.lengths)):
            for k, v in table_theirs.items():
                table_mine[k] = table_mine.get(k, 0) + v
        self.max_chars_seen = max(self.max_chars_seen, other.max_chars_seen)
        self.over_tokens_max = max(self.over_tokens_max, other.over_tokens_max)
        for kind, tally in other.tallies.items():
            self._tally(kind).merge(tally, line_offset)

    def top_values(self, field: str, n: int = 3) -> list[tuple[str, float]]:
        """The most frequent values of `prompt`, `completion` or `system` in the sample, with their share
        of all rows (exact when the sample holds every row)."""
        counts: dict[int, int] = {}
        example: dict[int, str] = {}
        for row in self.sample:
            key = getattr(row, field)
            if key is None:
                continue
            counts[key] = counts.get(key, 0) + 1
            if key not in example:
                has_system = row.system is not None
                text = row.texts[0] if field == "system" else \
                    row.texts[1 if has_system else 0] if field == "prompt" else row.texts[-1]
                example[key] = text
        size = max(len(self.sample), 1)
        best = sorted(counts, key=lambda k: -counts[k])[:n]
        return [(example[k], counts[k] / size) for k in best]

    # -- the report --------------------------------------------------------------------------
    def script_chars(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.sample:
            for text in row.texts:
                scripts.add_counts(counts, scripts.script_chars(text))
        return counts

    def _percentile(self, q: float, ratio: float) -> int:
        total = sum(self.lengths.values())
        if not total:
            return 0
        target = q * total
        run = 0
        for bucket in sorted(self.lengths):
            run += self.lengths[bucket]
            if run >= target:
                chars = 0 if bucket < 0 else 2 ** ((bucket + 0.5) / _BUCKETS_PER_DOUBLING)
                return round(min(max(chars, self.min_chars), self.max_chars_seen) * ratio)
        return round(self.max_chars_seen * ratio)

    def report(self, extra: list[Finding] | None = None, dropped: dict[str, int] | None = None,
               empty_turns: int = 0, kept_duplicates: bool = False) -> QualityReport:
        """The findings (most severe first) and figures; `dropped` are rows the caller already removed, and
        `empty_turns` the rows with an empty or whitespace-only turn it found (readers and the validator
        find those, so they never reach `add`). `kept_duplicates`: the caller wrote exact duplicates."""
        self._flush()
        mix = self.script_chars()
        ratio = scripts.mix_ratio(mix) if mix else self.ratio
        lengths = {"min": round(self.min_chars * ratio), "p50": self._percentile(0.5, ratio),
                   "p90": self._percentile(0.9, ratio), "p99": self._percentile(0.99, ratio),
                   "max": round(self.max_chars_seen * ratio)} if self.rows else {}
        findings = list(extra or [])
        findings += self._findings(mix)
        if empty_turns:
            findings.append(Finding(
                kind=EMPTY_TURNS, severity="info" if dropped is not None else "warning", count=empty_turns,
                message=f"{empty_turns:,} rows have an empty or whitespace-only turn"
                        + (" — dropped, not written" if dropped is not None else ""),
                fix="Drop those rows (convert drops them; `data validate --drop-bad-rows` too)."))
        if dropped is not None:  # convert: duplicates and over-long rows were not written
            for f in findings:
                if f.kind == OVER_LIMIT or (f.kind == DUPLICATE_ROWS and not kept_duplicates):
                    f.severity = "info"
                    f.message += " — dropped, not written"
        order = {"high": 0, "warning": 1, "info": 2}
        findings.sort(key=lambda f: order[f.severity])
        notes = []
        if self.seen_full:
            notes.append(f"Exact duplicates were checked among the first {MAX_TRACKED_ROWS:,} distinct rows.")
        if dropped:
            notes.append("Already dropped by the conversion: " + ", ".join(f"{n:,} {r}" for r, n in dropped.items())
                         + ".")
        notes.append(f"Lengths in tokens are estimates ({ratio:.3f} tokens per character for this script mix).")
        return QualityReport(
            rows=self.rows, findings=findings, length_tokens=lengths, tokens_per_char=round(ratio, 4),
            script_mix={s: round(v, 4) for s, v in scripts.mix_shares(mix).items()},
            turns=dict(sorted(self.turns.items())), system_share=round(self.with_system / max(self.rows, 1), 4),
            top_prompts=[(_snippet(text), round(share, 4)) for text, share in self.top_values("prompt")],
            notes=notes)

    def _findings(self, mix: dict[str, int]) -> list[Finding]:
        out: list[Finding] = []
        t = self.tallies
        rows = max(self.rows, 1)

        def add(kind: str, severity: Severity, message: str, fix: str) -> None:
            tally = t[kind]
            out.append(Finding(kind=kind, severity=severity, message=message, count=tally.rows,
                               lines=tally.lines, examples=tally.examples, fix=fix))

        if DUPLICATE_ROWS in t:
            n = t[DUPLICATE_ROWS].rows
            add(DUPLICATE_ROWS, "warning", f"{n:,} rows repeat an earlier row exactly",
                "Drop them: the `dedupe` cleaning (`data convert` drops them unless told to keep them).")
        if CONFLICTING_ANSWERS in t:
            n = t[CONFLICTING_ANSWERS].rows
            add(CONFLICTING_ANSWERS, "warning",
                f"{n:,} rows repeat an earlier prompt with a different answer (the model gets mixed signals)",
                "Keep one answer per prompt (`--clean dedupe-prompts` keeps the first), or check the labels."
                if not destroys(n, self.rows) else
                f"Dropping the repeats would leave only {self.rows - n:,} of {self.rows:,} rows: the prompt carries "
                "no information here. Vary the prompts (put the task in them), or the fixed instruction in the "
                "system prompt.")
        exact = self.rows <= SAMPLE_ROWS
        for kind, field, label, severity_floor in (
                (CONSTANT_PROMPT, "prompt", "prompt", "warning"),
                (CONSTANT_COMPLETION, "completion", "completion", "warning"),
                (CONSTANT_SYSTEM, "system", "system prompt", "info")):
            top = self.top_values(field)
            if not top or self.rows < 10:
                continue
            text, share = top[0]
            count = round(share * self.rows)
            if share < NEAR_CONSTANT_SHARE:
                continue
            if kind == CONSTANT_SYSTEM:
                if share >= 0.99:
                    continue  # the same system prompt on every row is the normal way to use one
                severity: Severity = "info"
            else:
                severity = "high" if share >= CONSTANT_SHARE else severity_floor  # type: ignore[assignment]
            others = ", ".join(f"{_snippet(v)!r} ({n:.0%})" for v, n in top[1:])
            how = "" if exact else f" (estimated from a sample of {len(self.sample)} rows)"
            out.append(Finding(
                kind=kind, severity=severity, count=count,
                message=f"{share:.0%} of rows{how} have the same {label}: {_snippet(text)!r}"
                        + (f"; next: {others}" if others else ""),
                examples=[_snippet(text)],
                fix=(f"A {label} that never changes teaches nothing; vary it, or put the fixed instruction in "
                     "the system prompt." if kind == CONSTANT_PROMPT else
                     f"The model will learn to always answer with this {label}; check the column mapping."
                     if kind == CONSTANT_COMPLETION else
                     f"The other {1 - share:.0%} of rows have other system prompts (or none). That is fine when "
                     "they differ on purpose; if one system prompt is meant for every row, give it to all of them.")))
        for kind, severity, what in ((ANSI_ESCAPES, "high", "ANSI escape codes (terminal colours)"),
                                     (NUL_CHARS, "high", "NUL characters"),
                                     (CONTROL_CHARS, "warning", "control characters"),
                                     (INVISIBLE_CHARS, "warning", "invisible characters (zero-width, bidi, BOM)")):
            if kind in t:
                tally = t[kind]
                add(kind, severity, f"{tally.rows:,} rows contain {what} ({tally.chars:,} in all); the model "
                    "would learn to print them", "Strip them: `data convert --clean strip-control`.")
        if SHORT_EXAMPLES in t:
            add(SHORT_EXAMPLES, "info",
                f"{t[SHORT_EXAMPLES].rows:,} rows have an answer of {SHORT_ANSWER_CHARS} characters or fewer",
                "Fine for classification labels; otherwise check the completion column.")
        if OVER_LIMIT in t:
            n = t[OVER_LIMIT].rows
            add(OVER_LIMIT, "high" if n > rows * 0.05 else "warning",
                f"{n:,} rows are longer than {self.model or 'the model'} accepts ({self.max_tokens:,} tokens); the "
                f"longest is about {self.over_tokens_max:,} tokens ({self.over_tokens_max - (self.max_tokens or 0):,} "
                "over). Tuning would truncate them.",
                "Drop them (`data convert --model MODEL` drops them; `--clean drop-long` says so), or shorten them.")
        if LONG_EXAMPLES in t:
            add(LONG_EXAMPLES, "info", f"{t[LONG_EXAMPLES].rows:,} rows are over {LONG_EXAMPLE_TOKENS:,} tokens "
                f"(the longest about {self.over_tokens_max:,})",
                "Give --model to check them against its limit; most models accept 8,192 tokens.")
        if 0.5 <= self.with_system / rows < 1.0 and self.rows >= 10:
            missing = self.rows - self.with_system
            out.append(Finding(kind=MISSING_SYSTEM, severity="warning", count=missing, lines=self.no_system_lines,
                               message=f"{missing:,} rows have no system prompt while "
                                       f"{self.with_system / rows:.0%} have one",
                               fix="Give every row the same kind of system prompt (or none)."))
        shares = scripts.mix_shares(mix)
        latin = shares.get(scripts.LATIN, 0.0) + shares.get(scripts.CODE, 0.0)
        if mix and latin < 0.8:
            ratio = scripts.mix_ratio(mix)
            mix_words = ", ".join(f"{s} {v:.0%}" for s, v in shares.items())
            out.append(Finding(kind=NON_LATIN, severity="info", count=self.rows,
                               message=f"script mix {mix_words}: about {ratio:.2f} tokens per character, "
                                       f"{ratio / scripts.SCRIPT_RATIOS[scripts.LATIN]:.1f}× an English text",
                               fix="Nothing to fix; token counts and cost use this mix."))
        return out


def quality_report_markdown(report: QualityReport, *, max_findings: int = 8) -> str:
    """The report for the chat: a verdict line, the findings (worst first) with fixes, then the figures."""
    lines: list[str] = []
    serious = [f for f in report.findings if f.severity != "info"]
    if not report.findings:
        lines.append(f"**Data quality:** no problems found in {report.rows:,} rows.")
    else:
        lines.append(f"**Data quality:** {len(serious)} problem(s) and "
                     f"{len(report.findings) - len(serious)} note(s) in {report.rows:,} rows.")
        lines.append("")
        icon = {"high": "🔴", "warning": "🟠", "info": "🔵"}
        for f in report.findings[:max_findings]:
            more = "…" if f.count > len(f.lines) else ""
            where = f" (line{'s' if len(f.lines) > 1 or more else ''} {', '.join(map(str, f.lines))}{more})" \
                if f.lines else ""
            lines.append(f"- {icon[f.severity]} **{f.kind}**: {f.message}{where}")
            for ex in f.examples[:2]:
                lines.append(f"  - e.g. `{ex.replace('`', '´')}`")
            lines.append(f"  - Fix: {f.fix}")
        if len(report.findings) > max_findings:
            lines.append(f"- … and {len(report.findings) - max_findings} more")
    if report.length_tokens:
        lt = report.length_tokens
        lines.append("")
        lines.append(f"Length (tokens, estimated): median {lt['p50']:,}, p90 {lt['p90']:,}, p99 {lt['p99']:,}, "
                     f"max {lt['max']:,}.")
    if report.script_mix:
        lines.append("Scripts: " + ", ".join(f"{s} {v:.0%}" for s, v in report.script_mix.items())
                     + f" ({report.tokens_per_char:.3f} tokens/char).")
    if report.turns and max(report.turns) > 1:
        lines.append("Turns per row: " + ", ".join(f"{k}: {v:,}" for k, v in report.turns.items()) + ".")
    return "\n".join(lines)


#: The cleaning actions that drop rows (the others edit texts).
DROPPING = frozenset({"dedupe", "dedupe-prompts", "drop-long"})
#: Which cleaning action (see `tools.data.clean`) fixes which finding.
CLEANING_FOR = {DUPLICATE_ROWS: "dedupe", CONFLICTING_ANSWERS: "dedupe-prompts", ANSI_ESCAPES: "strip-control",
                NUL_CHARS: "strip-control", CONTROL_CHARS: "strip-control", INVISIBLE_CHARS: "strip-control",
                OVER_LIMIT: "drop-long"}


#: Dropping more than this share of the rows is not cleaning: the data needs another fix.
DESTRUCTIVE_SHARE = 0.5


def destroys(dropped: int, rows: int) -> bool:
    """Whether dropping `dropped` of `rows` rows would throw away most of the dataset."""
    return dropped > rows * DESTRUCTIVE_SHARE


def suggested_cleaning(report: QualityReport) -> list[str]:
    """The cleaning actions that fix this report's findings (for a cleaning card), in a stable order.

    Findings already handled by the conversion (marked "dropped, not written") need no action, and
    keeping one answer per prompt is not suggested when it would drop most rows (one prompt for every
    row): that loses the answers, and cleaning cannot fix such data.
    """
    wanted = {CLEANING_FOR[f.kind] for f in report.findings
              if f.kind in CLEANING_FOR and not f.message.endswith("dropped, not written")
              and not (f.kind == CONFLICTING_ANSWERS and destroys(f.count, report.rows))}
    return [a for a in ("dedupe", "dedupe-prompts", "strip-control", "drop-long") if a in wanted]
