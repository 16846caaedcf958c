"""Chinese word segmentation for the casebook search. Pure: no Django here.

SQLite's FTS5 and PostgreSQL's text search both treat a run of Han characters as one token, so
the casebook keeps its own segmented copy of each page's text (``search_text``) and matches
whole tokens in it. This module turns text into those tokens:

- jieba in search mode, so a long word also yields its parts (电动自行车 → 电动, 自行车, …),
  with a dictionary of governance terms kept whole (``segment_words.txt``: 共享停车, 4难8解, …);
- plus every two-character Han bigram of each Han run, so two-character words (停车, 充电,
  电梯, 物业) are found mid-sentence whatever jieba decides; a bigram jieba already gave at the
  same place is not repeated, so each occurrence counts once;
- lower-cased, full-width forms folded (NFKC), punctuation and stop words dropped.

The same function serves the index and the query, which is what makes them meet.

Cost: jieba loads its dictionary lazily, on the first call in a process: about 0.6 s with
jieba's cache file (in the temp directory), about 1.5 s when it has to build it. Call
``warm_up()`` at start-up to pay it before the first request.
"""

import html
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("segment_words.txt")

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 20
MAX_TOKEN_CHARS = 40

# Function characters dropped when they stand alone as a token.
STOP_CHARS = frozenset(
    "的了着过和与及或而是在有也就都又把被对从向为以于之其这那个些吗呢吧啊呀哦嗯我你他她它们将并让给但很所"
)
# Particles: a bigram containing one is never a word of its own (目的 or 了解 come from jieba).
PARTICLES = frozenset("的了着吗呢吧啊呀哦嗯")
STOP_WORDS = frozenset(
    "我们 你们 他们 她们 它们 以及 这个 那个 一个 这些 那些 进行 通过 可以 没有 什么 怎么 怎样 "
    "如何 为了 因为 所以 但是 并且 或者 还是 就是 已经 自己 这样 那样 其中 之后 之前 然后 "
    "the and for with".split()
)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Letters and digits of any script: everything else (punctuation, spaces, symbols) separates.
_CHUNK = re.compile(r"[^\W_]+")
# Inside a chunk: pieces jieba can segment (Han, ASCII letters and digits), and the rest.
_PIECE = re.compile(rf"[{_HAN}a-z0-9]+|[^{_HAN}a-z0-9]+")
_HAN_RUN = re.compile(rf"[{_HAN}]+")
_IS_HAN = re.compile(rf"[{_HAN}]")

_lock = threading.Lock()
_tokenizer = None


@lru_cache(maxsize=1)
def custom_words() -> tuple[str, ...]:
    """The governance terms of segment_words.txt, normalised, read once."""
    found = []
    for line in WORDS_FILE.read_text(encoding="utf-8").splitlines():
        word = normalise(line.split("#", 1)[0].strip())
        if word:
            found.append(word)
    return tuple(dict.fromkeys(found))


def _jieba():
    """The project's own jieba tokenizer (not jieba's global one), built once per process."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in custom_words():
                    tokenizer.add_word(word)
                _tokenizer = tokenizer
    return _tokenizer


def warm_up() -> None:
    """Load jieba's dictionary now rather than on the first search (about a second)."""
    _jieba()


def normalise(text: str) -> str:
    """Full-width forms folded to half-width (NFKC) and lower-cased."""
    return unicodedata.normalize("NFKC", text).lower()


def _keep(token: str) -> bool:
    if not token or len(token) > MAX_TOKEN_CHARS or token in STOP_WORDS:
        return False
    if len(token) == 1:
        # A single Han character may matter (楼, 桩); a lone letter or digit does not.
        return bool(_IS_HAN.match(token)) and token not in STOP_CHARS
    return True


def _keep_bigram(bigram: str) -> bool:
    return (
        not (PARTICLES & set(bigram))
        and not (bigram[0] in STOP_CHARS and bigram[1] in STOP_CHARS)
        and bigram not in STOP_WORDS
    )


def _segment_piece(piece: str) -> list[str]:
    """Tokens of one run of Han characters, ASCII letters and digits, in text order."""
    found = sorted(_jieba().tokenize(piece, mode="search"), key=lambda t: (t[1], t[2] - t[1]))
    tokens = [word for word, _start, _end in found if _keep(word)]
    given = {(start, word) for word, start, _end in found}
    for run in _HAN_RUN.finditer(piece):
        text = run.group()
        for i in range(len(text) - 1):
            bigram = text[i : i + 2]
            if (run.start() + i, bigram) not in given and _keep_bigram(bigram):
                tokens.append(bigram)
    return tokens


def _pieces(text: str):
    """Runs of letters and digits; a run with Han in it split into what jieba can take (Han,
    ASCII letters, digits) and the rest. A run without Han (wifi6, 2024, café) stays whole."""
    for chunk in _CHUNK.findall(text):
        if _IS_HAN.search(chunk):
            yield from _PIECE.findall(chunk)
        else:
            yield chunk


def words(text: str) -> list[str]:
    """The tokens of `text` for the index: repeated as often as they occur, never empty."""
    if not text:
        return []
    tokens: list[str] = []
    for piece in _pieces(normalise(text)):
        if _IS_HAN.search(piece):
            tokens.extend(_segment_piece(piece))
        elif _keep(piece):
            tokens.append(piece)
    return tokens


@dataclass(frozen=True)
class Query:
    """A parsed query.

    words: whole tokens to look for, most important first (at most MAX_QUERY_WORDS).
    groups: the query's own words, each with its Han bigrams; a page covers a group when it
        has the word, or partly by the share of its bigrams it has. Ranking uses the coverage.
    chars: single Han characters matched anywhere, used only when the query has no longer word.
    """

    words: tuple[str, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    chars: tuple[str, ...] = ()

    def __bool__(self):
        return bool(self.words or self.chars)

    @property
    def all(self) -> tuple[str, ...]:
        return self.words + self.chars

    @property
    def marks(self) -> tuple[str, ...]:
        """What to highlight: the query's words and their bigrams, not the bigrams that span
        two of its words (those only help ranking)."""
        found = [word for word, _ in self.groups]
        found += [bigram for _, bigrams in self.groups for bigram in bigrams]
        return tuple(dict.fromkeys(found + list(self.chars)))


def _bigrams(word: str) -> tuple[str, ...]:
    if not _HAN_RUN.fullmatch(word):
        return ()
    return tuple(
        dict.fromkeys(
            word[i : i + 2] for i in range(len(word) - 1) if _keep_bigram(word[i : i + 2])
        )
    )


def parse_query(q: str) -> Query:
    """Cut a query into words, at most MAX_QUERY_CHARS characters and MAX_QUERY_WORDS words.

    Any string is accepted: quotes, brackets, *, %, _, backslashes and the like are simply
    separators here, and the words end up as parameters of a LIKE, never as query syntax.
    """
    text = normalise(q or "")[:MAX_QUERY_CHARS]
    group_words: list[str] = []  # accurate-mode words: what the user meant
    extra: list[str] = []  # their parts, and bigrams across word boundaries
    singles: list[str] = []
    for piece in _pieces(text):
        if _IS_HAN.search(piece):
            for word in _jieba().lcut(piece):
                if len(word) == 1:
                    if _keep(word):
                        singles.append(word)
                elif _keep(word):
                    group_words.append(word)
            extra.extend(_segment_piece(piece))
        elif _keep(piece):
            group_words.append(piece)
    group_words = list(dict.fromkeys(group_words))
    groups = tuple((word, _bigrams(word)) for word in group_words)
    ordered = list(dict.fromkeys([*group_words, *extra]))
    chosen = tuple(w for w in ordered if len(w) > 1)[:MAX_QUERY_WORDS]
    chosen_set = set(chosen)
    groups = tuple(
        (word, tuple(b for b in bigrams if b in chosen_set))
        for word, bigrams in groups
        if word in chosen_set
    )
    chars = () if chosen else tuple(dict.fromkeys(singles))[:MAX_QUERY_WORDS]
    if chars:
        groups = tuple((c, ()) for c in chars)
    return Query(words=chosen, groups=groups, chars=chars)


def query_words(q: str) -> list[str]:
    """The words to look for: the query segmented like the index, limited, deduplicated."""
    return list(parse_query(q).all)


# Highlighting


class _Folding(dict):
    """str.translate table: each character to its `normalise`d form when that is one
    character, else to its lower case when that is one character, else to itself. Filled as
    characters are met (a few thousand at most: Chinese text repeats its characters)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = unicodedata.normalize("NFKC", ch).lower()
        if len(folded) != 1:
            folded = ch.lower() if len(ch.lower()) == 1 else ch
        if len(self) < 100_000:
            self[code] = folded
        return folded


_FOLDING = _Folding()


def _normalise_aligned(text: str) -> str:
    """`normalise` character by character, so that positions stay those of `text`."""
    return text.translate(_FOLDING)


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]):
    alternatives = sorted({w for w in words if w}, key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile("|".join(re.escape(w) for w in alternatives))


def _matches(text: str, words) -> list[tuple[int, int]]:
    pattern = _pattern(tuple(sorted({normalise(w) for w in words if w})))
    if pattern is None or not text:
        return []
    spans: list[tuple[int, int]] = []
    for m in pattern.finditer(_normalise_aligned(text)):
        if spans and spans[-1][1] == m.start():
            spans[-1] = (spans[-1][0], m.end())  # adjacent matches make one mark
        else:
            spans.append((m.start(), m.end()))
    return spans


def has_match(text: str, words) -> bool:
    """Whether any of `words` occurs in `text` (folded as for highlighting)."""
    pattern = _pattern(tuple(sorted({normalise(w) for w in words if w})))
    return bool(pattern and text and pattern.search(_normalise_aligned(text)))


def highlight(text: str, words, max_len: int | None = None) -> list[tuple[str, bool]]:
    """`text` cut into (fragment, is_match) pairs, the matches being the given words.

    Without `max_len` (or when the text is short enough) the fragments join back into `text`.
    With it, a window of about `max_len` characters around the first match is kept, with "…"
    fragments where text was cut; a match is never cut in two.
    """
    text = text or ""
    spans = _matches(text, words)
    start, end = 0, len(text)
    if max_len is not None and len(text) > max_len:
        first = spans[0][0] if spans else 0
        start = max(0, first - max_len // 5)
        end = min(len(text), start + max_len)
        start = max(0, min(start, end - max_len))
        for a, b in spans:  # widen the window rather than cut a match
            if a < end < b:
                end = b
            if a < start < b:
                start = a
    fragments: list[tuple[str, bool]] = []
    if start > 0:
        fragments.append(("…", False))
    position = start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        if a > position:
            fragments.append((text[position:a], False))
        fragments.append((text[a:b], True))
        position = b
    if position < end:
        fragments.append((text[position:end], False))
    if end < len(text):
        fragments.append(("…", False))
    return fragments


def highlight_html(text: str, words, max_len: int | None = None) -> str:
    """`highlight` as HTML: matches in <mark>, everything escaped."""
    return "".join(
        f"<mark>{html.escape(fragment)}</mark>" if is_match else html.escape(fragment)
        for fragment, is_match in highlight(text, words, max_len)
    )
