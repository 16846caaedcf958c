"""Chinese ordinals for numbered parts of a case (难点一, 解法二). Pure; one home for both the
case pages and the booklets."""

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 40 → 四十, 99 → 九十九; from 100 on, Arabic figures."""
    if not 0 <= n < 100:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones else "")


def ordinal(n: int, language: str) -> str:
    """Chinese numerals on Chinese pages, Arabic figures elsewhere."""
    return chinese_numeral(n) if language.startswith("zh") else str(n)
