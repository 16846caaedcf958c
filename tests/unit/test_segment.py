"""cms.segment: Chinese words for the casebook search. Pure: no database, no Django."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cms import segment
from cms.segment import highlight, highlight_html, parse_query, query_words, words

SYNTAX = "\"*:()-+';%_\\"


@pytest.mark.parametrize(
    "sentence, word",
    [
        ("小区晚上停车很难", "停车"),
        ("不少居民在楼道里给电瓶车充电", "充电"),
        ("六层老楼装电梯要全体业主同意", "电梯"),
        ("欠交物业费的住户越来越多", "物业"),
        ("夜间停车充电两不误", "充电"),
    ],
)
def test_two_character_words_are_found_mid_sentence(sentence, word):
    assert word in words(sentence)


@pytest.mark.parametrize(
    "sentence, word, bigrams",
    [
        ("街道推行共享停车", "共享停车", ["共享", "享停", "停车"]),
        ("试点错时停车以后", "错时停车", ["错时", "时停", "停车"]),
        ("禁止飞线充电", "飞线充电", ["飞线", "线充", "充电"]),
        ("电动自行车进楼入户", "电动自行车", ["电动", "动自", "自行", "行车"]),
        ("老旧小区加装电梯", "老旧小区", ["老旧", "旧小", "小区"]),
        ("老旧小区加装电梯", "加装电梯", ["加装", "装电", "电梯"]),
        ("成立业委会", "业委会", ["业委", "委会"]),
        ("化解小马拉大车", "小马拉大车", ["小马", "马拉", "拉大", "大车"]),
        ("网格员上门", "网格员", ["网格", "格员"]),
        ("党建引领基层治理", "党建引领", ["党建", "建引", "引领"]),
    ],
)
def test_dictionary_words_are_kept_whole_and_their_bigrams_too(sentence, word, bigrams):
    found = words(sentence)
    assert word in found
    assert set(bigrams) <= set(found)


def test_search_mode_also_gives_the_parts_of_long_words():
    assert {"电动自行车", "自行车"} <= set(words("电动自行车充电"))


def test_full_width_and_upper_case_are_folded():
    assert "4难8解" in words("电动自行车安全治理“４难８解”")
    assert "wifi" in words("ＷｉＦｉ覆盖")
    assert "12345热线" in words("拨打12345热线")


def test_each_occurrence_counts_once():
    # jieba's 停车 and the bigram 停车 at the same place are one occurrence, not two.
    assert words("停车").count("停车") == 1
    assert words("停车，停车，再停车").count("停车") == 3


def test_punctuation_and_stop_words_are_dropped():
    found = words("我们的小区，有了充电桩！")
    assert "，" not in found and "！" not in found
    assert "的" not in found and "我们" not in found and "了" not in found
    assert "充电桩" in found and "小区" in found
    # A bigram with a particle in it is not a word: 区的, 了充.
    assert "区的" not in found and "了充" not in found


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        SYNTAX,
        '"停车" AND (充电*)',
        "停车' OR 1=1; --",
        "%_%",
        "\\",
        "NEAR(停车 充电)",
        "停车:*",
        "\x00",
        "😀😀",
    ],
)
def test_syntax_in_a_query_is_just_a_separator(query):
    found = query_words(query)
    assert all(w and w == w.lower() for w in found)
    assert not any(ch in w for w in found for ch in SYNTAX + " ")


def test_syntax_queries_keep_their_words():
    assert query_words(SYNTAX) == []
    assert {"停车", "充电"} <= set(query_words('"停车" AND (充电*)'))
    assert "停车" in query_words("停车' OR 1=1; --")
    assert query_words("drop table cases;--")[:3] == ["drop", "table", "cases"]


def test_queries_are_limited():
    long = "小区停车难充电难加装电梯难物业服务差" * 60
    assert len(query_words(long)) <= segment.MAX_QUERY_WORDS
    assert query_words("停" * 1000) == query_words("停" * 1000)  # and deterministic
    assert query_words("a" * 1000) == []  # one 200-letter "word" is no word


def test_query_groups_and_single_characters():
    query = parse_query("如何解决老旧小区停车难")
    assert [word for word, _ in query.groups] == ["解决", "老旧小区", "停车难"]
    assert "如何" not in query.words
    # A lone character is looked for only when there is nothing longer.
    assert parse_query("车").chars == ("车",) and parse_query("车").words == ()
    assert parse_query("车 停车").chars == ()
    # Highlights use the query's words and their bigrams, not bigrams across two words.
    assert "车和" in parse_query("停车和充电").words
    assert "车和" not in parse_query("停车和充电").marks


def test_highlight_marks_words_and_escapes_everything_else():
    assert (
        highlight_html("<script>alert(1)</script>停车&充电", ["停车", "充电"])
        == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>停车</mark>&amp;<mark>充电</mark>"
    )
    assert highlight_html('"停车"', ["停车"]) == "&quot;<mark>停车</mark>&quot;"


def test_highlight_folds_case_and_width_and_joins_adjacent_marks():
    assert highlight("Ｗｉｆｉ和停车充电", ["wifi", "停车", "充电"]) == [
        ("Ｗｉｆｉ", True),
        ("和", False),
        ("停车充电", True),
    ]
    assert highlight("没有匹配", ["停车"]) == [("没有匹配", False)]
    assert highlight("停车", []) == [("停车", False)]


def test_highlight_window_keeps_matches_whole():
    text = "一二三四五六七八九十" * 10 + "共享停车" + "一二三四五六七八九十" * 10
    fragments = highlight(text, ["共享停车"], max_len=30)
    assert fragments[0] == ("…", False) and fragments[-1] == ("…", False)
    assert ("共享停车", True) in fragments
    assert sum(len(f) for f, _ in fragments[1:-1]) <= 30
    # A match at the window's edge widens it rather than being cut.
    edge = "字" * 28 + "共享停车" + "字" * 50
    assert ("共享停车", True) in highlight(edge, ["共享停车"], max_len=30)


HAN = "停车充电电梯物业共享错时老旧小区加装业委会网格员的了和是在"
ALPHABET = st.sampled_from(list(HAN + SYNTAX + " ，。！？、“”\n\tabcXYZ019ＡＢ１２éİ㍿|<>&"))
TEXT = st.text(alphabet=ALPHABET, max_size=120) | st.text(max_size=60)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_words_never_raise_and_give_clean_tokens(text):
    for token in words(text):
        assert token
        assert token == token.lower()
        assert not any(ch.isspace() for ch in token)
        assert "|" not in token
        assert len(token) <= segment.MAX_TOKEN_CHARS


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=50))
def test_a_text_contains_every_word_of_itself_as_a_query(text):
    """Index and query are cut alike: searching for a passage finds the passage."""
    query = parse_query(text)
    assert set(query.words) <= set(words(text))
    joined = " ".join(words(text))
    assert all(char in joined for char in query.chars)


@settings(max_examples=300, deadline=None)
@given(TEXT, st.lists(st.text(alphabet=ALPHABET, max_size=4) | st.text(max_size=3), max_size=5))
def test_highlight_round_trips_the_text(text, marks):
    fragments = highlight(text, marks)
    assert "".join(fragment for fragment, _ in fragments) == text
    assert all(fragment for fragment, _ in fragments)
    windowed = highlight(text, marks, max_len=20)
    inner = [f for f, _ in windowed if f != "…"]
    assert "".join(inner) in text


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_highlight_html_never_leaves_markup_unescaped(text):
    out = highlight_html(text, ["停车", "<"])
    stripped = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped
