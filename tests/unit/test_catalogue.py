"""The Simplified Chinese catalogue is complete, well-formed and current.

Our code writes every user-facing string as an English msgid; Chinese, the site's default
language, comes entirely from locale/zh_Hans/LC_MESSAGES/django.po. These tests need no
database. The currency check runs `makemessages` on a copy of the project, so it needs
GNU gettext (xgettext, msguniq, msgmerge, msgattrib) on PATH: without it they fail, since
a skipped check would let an out-of-date catalogue through.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO_RELATIVE = Path("locale/zh_Hans/LC_MESSAGES/django.po")
PO_PATH = ROOT / PO_RELATIVE

# What makemessages scans: our apps and the project templates, nothing else.
SOURCE_DIRS = ("people", "cms", "training", "competitions", "templates")
SOURCE_FILES = ("manage.py",)
# The options the catalogue is generated with; run the same command in the project root to
# update it (a failure of test_catalogue_is_current prints the full command line).
IGNORES = (
    ".venv/*",
    "test-artifacts/*",
    "tests/*",
    "static/*",
    "static_collected/*",
    "media/*",
    "build/*",
    "*.egg-info/*",
)
MAKEMESSAGES_ARGS = (
    "makemessages",
    "-l",
    "zh_Hans",
    "--no-location",
    "--no-obsolete",
    *(arg for pattern in IGNORES for arg in ("-i", pattern)),
)
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")

# One Python %-format directive: %(name)s, %d, %5.2f, %%, ...
PYTHON_FORMAT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]"
)


# ---------------------------------------------------------------------------------------
# A small .po reader: enough of the format for what makemessages and msgmerge write.
# ---------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def label(self) -> str:
        """How a failure names the entry: its msgid, with its context if it has one."""
        return repr(self.msgid) if self.msgctxt is None else f"[{self.msgctxt}] {self.msgid!r}"

    @property
    def located(self) -> str:
        """The label and where the entry starts in the committed file."""
        return f"{self.label} (line {self.line})"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(literal: str, where: str) -> str:
    # A PO string is a C string literal; its escapes are a subset of Python's.
    try:
        value = ast.literal_eval(literal)
    except (SyntaxError, ValueError) as exc:
        raise ValueError(f"{where}: bad string literal {literal}") from exc
    if not isinstance(value, str):
        raise ValueError(f"{where}: bad string literal {literal}")
    return value


def parse_po(text: str, source: str = "django.po") -> list[Entry]:
    """Entries in file order, header included; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    entry = Entry()
    started = False  # the current entry has a keyword line
    target: tuple[str, int | None] | None = None  # where continuation lines go

    def finish():
        nonlocal entry, started, target
        if started:
            entries.append(entry)
        entry, started, target = Entry(), False, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"{source}:{number}"
        if not line:
            finish()
        elif line.startswith("#~"):
            continue  # obsolete
        elif line.startswith("#"):
            if started:  # comments open the next entry even without a blank line
                finish()
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith('"'):
            if target is None:
                raise ValueError(f"{where}: string continues nothing")
            kind, index = target
            value = _unquote(line, where)
            if kind == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, kind, getattr(entry, kind) + value)
        else:
            match = _KEYWORD.match(line)
            if not match:
                raise ValueError(f"{where}: cannot read {raw!r}")
            keyword, index, literal = match.groups()
            value = _unquote(literal, where)
            if keyword in ("msgctxt", "msgid") and started and entry.msgstr:
                finish()  # a new entry without a blank line before it
            if not started:
                entry.line = number
            started = True
            if keyword.startswith("msgstr"):
                position = int(index) if index is not None else 0
                entry.msgstr[position] = value
                target = ("msgstr", position)
            else:
                setattr(entry, keyword, value)
                target = (keyword, None)
    finish()
    return entries


def load_po(path: Path) -> list[Entry]:
    return parse_po(path.read_text(encoding="utf-8"), source=str(path))


def header_fields(entries: list[Entry]) -> dict[str, str]:
    header = next(e for e in entries if e.is_header)
    fields = {}
    for line in header.msgstr.get(0, "").splitlines():
        name, _sep, value = line.partition(":")
        fields[name.strip()] = value.strip()
    return fields


def placeholders(text: str) -> Counter:
    """The %-directives of a python-format string, `%%` aside.

    Named ones may move about in a translation, so only how often each occurs counts;
    positional ones must keep their order, so each is keyed by its position too.
    """
    found = Counter()
    position = 0
    for match in PYTHON_FORMAT.finditer(text):
        directive = match.group(0)
        if directive == "%%":
            continue
        if match.group("name") is not None:
            found[directive] += 1
        else:
            found[(position, directive)] += 1
            position += 1
    return found


def _describe(entries, limit=60) -> str:
    lines = [f"  - {entry.located}" for entry in entries[:limit]]
    if len(entries) > limit:
        lines.append(f"  ... and {len(entries) - limit} more")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    assert PO_PATH.is_file(), f"{PO_RELATIVE} is missing"
    return load_po(PO_PATH)


# ---------------------------------------------------------------------------------------
# (a) Complete and well-formed
# ---------------------------------------------------------------------------------------


def test_the_reader_understands_multiline_plural_and_fuzzy_entries():
    sample = r"""# header
msgid ""
msgstr ""
"Language: zh_Hans\n"
"Plural-Forms: nplurals=1; plural=0;\n"

#, fuzzy, python-format
msgid ""
"A long message about "
"%(name)s with a \"quote\"."
msgstr "关于%(name)s的长消息"

msgctxt "menu"
msgid "One file"
msgid_plural "%d files"
msgstr[0] ""
"%d 个文件"

#~ msgid "Gone"
#~ msgstr "已删除"
msgid "Next"
msgstr ""
"""
    header, long, plural, bare = parse_po(sample)
    assert header.is_header and header_fields([header])["Language"] == "zh_Hans"
    assert long.msgid == 'A long message about %(name)s with a "quote".'
    assert long.flags == {"fuzzy", "python-format"}
    assert (plural.msgctxt, plural.msgid_plural, plural.msgstr) == (
        "menu",
        "%d files",
        {0: "%d 个文件"},
    )
    assert (bare.msgid, bare.msgstr) == ("Next", {0: ""})
    assert placeholders("%(a)s %d%% %(a)s %5.1f") == Counter(
        {"%(a)s": 2, (0, "%d"): 1, (1, "%5.1f"): 1}
    )


def test_header_is_filled_in(catalogue):
    header = next((e for e in catalogue if e.is_header), None)
    assert header is not None, "the catalogue has no header entry"
    assert "fuzzy" not in header.flags, "the header is still marked fuzzy"
    fields = header_fields(catalogue)
    assert fields.get("Language") == "zh_Hans"
    assert fields.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert fields.get("Content-Type") == "text/plain; charset=UTF-8"


def test_every_entry_is_translated_and_none_is_fuzzy(catalogue):
    entries = [e for e in catalogue if not e.is_header]
    assert entries, "the catalogue has no entries"
    untranslated = [
        e for e in entries if not e.msgstr or any(not text.strip() for text in e.msgstr.values())
    ]
    fuzzy = [e for e in entries if "fuzzy" in e.flags]
    problems = []
    if untranslated:
        problems.append(
            f"{len(untranslated)} entries have no translation:\n{_describe(untranslated)}"
        )
    if fuzzy:
        problems.append(
            f"{len(fuzzy)} entries are fuzzy (check the translation, then drop the flag):\n"
            f"{_describe(fuzzy)}"
        )
    assert not problems, f"{PO_RELATIVE}:\n" + "\n".join(problems)


def test_each_msgid_appears_once(catalogue):
    counts = Counter(e.key for e in catalogue)
    duplicates = [key for key, count in counts.items() if count > 1]
    assert not duplicates, f"duplicate entries in {PO_RELATIVE}: {duplicates}"


def test_python_format_placeholders_survive_translation(catalogue):
    mismatches = []
    for entry in catalogue:
        if entry.is_header:
            continue
        if "python-format" not in entry.flags:
            continue
        # With one plural form every msgstr[n] stands for the plural msgid.
        expected = placeholders(entry.msgid_plural or entry.msgid)
        for index, text in sorted(entry.msgstr.items()):
            got = placeholders(text)
            if text and got != expected:
                missing = sorted(map(str, (expected - got).elements()))
                extra = sorted(map(str, (got - expected).elements()))
                mismatches.append(
                    f"  - {entry.located} msgstr[{index}] {text!r}: missing {missing}, extra {extra}"
                )
    assert not mismatches, "placeholders differ between msgid and msgstr:\n" + "\n".join(mismatches)


def _require_tools(*names: str):
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        pytest.fail(
            f"GNU gettext tool(s) not on PATH: {', '.join(missing)}. The catalogue checks need "
            "them; install gettext (Debian: apt-get install gettext).",
            pytrace=False,
        )


def test_msgfmt_accepts_the_catalogue(tmp_path):
    _require_tools("msgfmt")
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(PO_PATH)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"msgfmt rejects {PO_RELATIVE}:\n{result.stderr}"


# ---------------------------------------------------------------------------------------
# (b) Current: makemessages on a copy of the sources yields exactly the committed msgids
# ---------------------------------------------------------------------------------------


def copy_project(destination: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for name in (*SOURCE_DIRS, "locale"):
        shutil.copytree(ROOT / name, destination / name, ignore=ignore)
    for name in SOURCE_FILES:
        shutil.copy2(ROOT / name, destination / name)
    return destination


def run_makemessages(project: Path) -> list[Entry]:
    """Regenerate the catalogue inside `project` (a copy) and read the result."""
    _require_tools(*GETTEXT_TOOLS)
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(project), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES_ARGS],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"makemessages failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return load_po(project / PO_RELATIVE)


def compare_msgids(committed: list[Entry], generated: list[Entry]) -> str | None:
    """None when both hold the same msgids, else a report of what is missing and stale."""
    ours = {e.key: e for e in committed if not e.is_header}
    fresh = {e.key: e for e in generated if not e.is_header}
    missing = [fresh[key] for key in fresh.keys() - ours.keys()]
    stale = [ours[key] for key in ours.keys() - fresh.keys()]
    if not missing and not stale:
        return None
    report = [f"{PO_RELATIVE} is out of date with the source."]
    if missing:
        missing.sort(key=lambda e: e.line)
        report.append(f"Missing from the catalogue ({len(missing)}):")
        report += [f"  + {e.label}" for e in missing]
    if stale:
        stale.sort(key=lambda e: e.line)
        report.append(f"Stale, no longer in the source ({len(stale)}):")
        report += [f"  - {e.located}" for e in stale]
    report.append(
        "Regenerate in the project root with `python manage.py "
        + " ".join(f'"{arg}"' if "*" in arg else arg for arg in MAKEMESSAGES_ARGS)
        + "`, then translate the new entries."
    )
    return "\n".join(report)


def test_catalogue_is_current(tmp_path, catalogue):
    project = copy_project(tmp_path / "project")
    problem = compare_msgids(catalogue, run_makemessages(project))
    assert problem is None, problem


def test_currency_check_notices_a_new_template_string(tmp_path, catalogue):
    """Guards the check above against going blind (say, by ignoring the templates)."""
    project = copy_project(tmp_path / "project")
    probe = "Catalogue probe: a string that no template has yet"
    template = project / "templates" / "catalogue_probe.html"
    template.write_text(f'{{% load i18n %}}<p>{{% translate "{probe}" %}}</p>\n', encoding="utf-8")
    problem = compare_msgids(catalogue, run_makemessages(project))
    assert problem is not None and repr(probe) in problem and "Missing" in problem, problem
