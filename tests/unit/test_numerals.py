import pytest

from cms.numerals import chinese_numeral, ordinal


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "零"),
        (1, "一"),
        (4, "四"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (48, "四十八"),
        (99, "九十九"),
        (100, "100"),
    ],
)
def test_chinese_numerals(n, expected):
    assert chinese_numeral(n) == expected


def test_ordinals_follow_the_language():
    assert ordinal(3, "zh-hans") == "三"
    assert ordinal(3, "en") == "3"
