"""How long a roster import takes: read, check and apply an N-row .xlsx against a fresh database.

    .venv/bin/python scripts/bench_roster_import.py [--rows 10000] [--database sqlite|URL]
                                                    [--profile [N]]

The database is always a throwaway one, created, migrated and removed by this script:
  * sqlite (the default): a file in a temporary folder; the developer's db.sqlite3 is never
    opened.
  * a URL such as postgres://user:pass@localhost/zhuangma: only the server and credentials are
    used; Django's test machinery creates a separate database (zhuangma_bench_<pid>) next to it
    and drops it afterwards, so the named database itself is not touched.

It builds a city (3 districts, 9 streets, 30 communities), writes a realistic roster workbook
(unique mobile numbers in the ways people type them, valid ID numbers on about half the rows,
dates in mixed formats, positions in Chinese), imports it as a superuser would and imports it
again (every row unchanged), then times the refusal of a 200,000-row CSV. It prints figures
only and asserts nothing about time. --profile runs the first import under cProfile and prints
the N most expensive functions (cumulative time).
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGET_SECONDS = 10
REFUSAL_ROWS = 200_000
SEED = 20261127

# --- the tree ------------------------------------------------------------------------------

CITY = ("QH", "青禾市")
DISTRICTS = {
    "DH": ("东湖区", {"HP": "和平街道", "XF": "幸福街道", "CY": "朝阳街道"}),
    "XS": ("西山区", {"QS": "青山街道", "LY": "柳荫街道", "JX": "锦绣街道"}),
    "NH": ("南湖区", {"BH": "滨湖街道", "YQ": "银泉街道", "SL": "双龙镇"}),
}
COMMUNITY_NAMES = [
    "幸福社区", "和谐社区", "阳光社区", "翠竹社区", "金桂社区", "春晖社区", "新华社区", "民主社区",
    "文昌社区", "长乐社区", "永安社区", "兴隆社区", "建设社区", "团结社区", "光明社区", "友谊社区",
    "花园社区", "锦华社区", "东升社区", "西城社区", "南苑社区", "北辰社区", "丰收村", "石桥村",
    "柳湾村", "桃源村", "杨家村", "李庄村", "清泉社区", "望江社区",
]  # fmt: skip
# 30 communities over 9 streets: 4, 3, 3, 4, 3, 3, 4, 3, 3.
COMMUNITIES_PER_STREET = [4, 3, 3, 4, 3, 3, 4, 3, 3]

# --- the people ----------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫斌宇浩凯健俊帆帅旭宁龙林欣晨阳佳嘉怡思雨梓涵子轩浩然一诺欣怡梦瑶雪梅晓东海燕春梅建国建华志强永刚"
COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫"]
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "186", "187", "188",
    "189", "191", "198", "199",
]  # fmt: skip
AREA_CODES = ["110105", "110108", "320102", "320583", "330106", "420106", "440305", "510107"]
POSITIONS = [
    # Canonical names, weighted towards the posts most people hold, and what people write instead.
    *["网格员"] * 6, *["专职社区工作者"] * 6, "社区网格员", "专职网格员", "社区工作者",
    "社区党组织书记", "社区书记", "书记、主任一肩挑", "居委会主任", "主任",
    "副书记/副主任", "副书记", "副主任", "两委委员", "委员",
]  # fmt: skip
HEADERS = ["序号", "姓名", "手机号", "身份证号", "所属社区", "岗位", "工号", "入职日期", "备注"]


def build_tree():
    """1 city, 3 districts, 9 streets, 30 communities; returns the communities as dicts."""
    from people.models import OrgUnit

    city = OrgUnit.add_root(code=CITY[0], name=CITY[1], level="city")
    communities = []
    names = iter(COMMUNITY_NAMES)
    per_street = iter(COMMUNITIES_PER_STREET)
    for d_code, (d_name, streets) in DISTRICTS.items():
        district = city.add_child(code=d_code, name=d_name, level="district")
        for s_code, s_name in streets.items():
            street = district.add_child(code=f"{d_code}-{s_code}", name=s_name, level="street")
            for n in range(1, next(per_street) + 1):
                name = next(names)
                community = street.add_child(
                    code=f"{d_code}-{s_code}-{n:02d}",
                    name=name,
                    level="community",
                    population=random.Random(name).randint(3000, 20000),
                )
                communities.append(
                    {
                        "code": community.code,
                        "path": f"{d_name}/{s_name}/{name}",
                        "short": f"{s_name}/{name}",
                    }
                )
    return communities


def make_rows(n: int, communities: list[dict], rng: random.Random) -> list[list]:
    """A title row, the header and `n` worker rows, as an office would fill the template."""
    from people.idnumbers import check_char

    today = date.today()
    mobiles = rng.sample(range(10**8), n)
    used_ids: set[str] = set()
    rows: list[list] = [["青禾市城乡社区工作者花名册"] + [None] * (len(HEADERS) - 1), HEADERS]
    for i in range(n):
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
        name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

        digits = f"{rng.choice(MOBILE_PREFIXES)}{mobiles[i]:08d}"
        style = rng.random()
        if style < 0.5:
            phone = digits
        elif style < 0.7:
            phone = int(digits)  # a number cell
        elif style < 0.85:
            phone = f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
        elif style < 0.95:
            phone = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        else:
            phone = f"+86 {digits}"

        id_number = None
        if rng.random() < 0.5:
            while id_number is None or id_number in used_ids:
                born = date(1960, 1, 1) + timedelta(days=rng.randrange(40 * 365))
                first17 = f"{rng.choice(AREA_CODES)}{born:%Y%m%d}{rng.randrange(1000):03d}"
                id_number = first17 + check_char(first17)
            used_ids.add(id_number)
            if id_number.endswith("X") and rng.random() < 0.3:
                id_number = id_number[:-1] + "x"

        community = rng.choice(communities)
        unit = rng.choices(
            [community["path"], community["code"], community["short"]], weights=(6, 3, 1)
        )[0]

        started = date(2005, 1, 1) + timedelta(days=rng.randrange((today - date(2005, 1, 1)).days))
        date_style = rng.random()
        if date_style < 0.35:
            start = datetime(started.year, started.month, started.day)  # a date cell
        elif date_style < 0.55:
            start = started.isoformat()
        elif date_style < 0.7:
            start = f"{started.year}/{started.month}/{started.day}"
        elif date_style < 0.8:
            start = f"{started.year}年{started.month}月{started.day}日"
        elif date_style < 0.88:
            start = f"{started.year}.{started.month:02d}"  # year and month only
        elif date_style < 0.94:
            start = int(f"{started:%Y%m%d}")
        else:
            start = None

        rows.append(
            [
                i + 1,
                name,
                phone,
                id_number,
                unit,
                rng.choice(POSITIONS),
                f"QH{i + 1:06d}" if rng.random() < 0.8 else None,
                start,
                "返聘" if rng.random() < 0.01 else None,
            ]
        )
    return rows


# --- the database --------------------------------------------------------------------------


def configure(database: str) -> str | None:
    """Point Django at a throwaway database before it starts; returns a temporary folder."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    if database == "sqlite":
        folder = tempfile.mkdtemp(prefix="zhuangma-bench-")
        # Even the "main" database is in the temporary folder: db.sqlite3 is never opened.
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/main-unused.sqlite3"
        return folder
    os.environ["DATABASE_URL"] = database
    return None


def create_database(folder: str | None) -> str:
    from django.db import connection

    test_settings = connection.settings_dict.setdefault("TEST", {})
    if folder:
        test_settings["NAME"] = str(Path(folder) / "bench.sqlite3")
    else:
        test_settings["NAME"] = f"zhuangma_bench_{os.getpid()}"
    return connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=False
    )


def drop_database(old_name: str):
    from django.db import connection

    connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


# --- measuring -----------------------------------------------------------------------------


@contextmanager
def timed(results: dict, key: str):
    start = time.perf_counter()
    yield
    results[key] = time.perf_counter() - start


def import_once(data: bytes, filename: str, scope, profiler=None) -> tuple[dict, dict]:
    """Read, check and apply; returns (timings, counts)."""
    from people.roster import importer
    from people.roster.reader import RosterFileError

    times: dict[str, float] = {}
    if profiler:
        profiler.enable()
    try:
        with timed(times, "read"):
            try:
                table = importer.read(data, filename)
            except RosterFileError as error:
                raise SystemExit(f"The file was refused: {error.code} {error.params}") from None
        with timed(times, "check"):
            outcome = importer.check(table, scope=scope)
        if not outcome.ok:
            first = "; ".join(
                f"row {e['row']} {e['column']}: {e['code']} {e['params']}"
                for e in outcome.errors[:5]
            )
            raise SystemExit(f"The generated file has {len(outcome.errors)} problems: {first}")
        with timed(times, "apply"):
            importer.apply(outcome, actor=None, scope=scope, filename=filename)
    finally:
        if profiler:
            profiler.disable()
    times["total"] = times["read"] + times["check"] + times["apply"]
    return times, outcome.counts


def refusal_time() -> tuple[int, float, str]:
    from people.roster import importer
    from people.roster.reader import RosterFileError

    # Every required column present and under the size limit, so that the row limit is what
    # refuses the file.
    lines = ["姓名,手机号,所属社区,岗位"]
    lines.extend(f"张{i},{13800000000 + i},DH-HP-01,网格员" for i in range(REFUSAL_ROWS))
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    start = time.perf_counter()
    try:
        importer.read(data, "big.csv")
    except RosterFileError as error:
        code = error.code
    else:
        code = "accepted (!)"
    return len(data), time.perf_counter() - start, code


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.2f} MB"


def line(label: str, seconds: float, rows: int | None = None) -> str:
    rate = f"  ({rows / seconds:,.0f} rows/s)" if rows and seconds else ""
    return f"  {label:<8}{seconds:8.2f} s{rate}"


def run(rows: int, profile_top: int) -> None:
    from django.db import connection

    from people.models import User, WorkerProfile
    from people.scope import Scope
    from tests.unit.roster_files import xlsx_bytes

    rng = random.Random(SEED)
    with timed(setup := {}, "tree"):
        communities = build_tree()
    with timed(setup, "file"):
        sheet = make_rows(rows, communities, rng)
        data = xlsx_bytes(sheet, merges=(f"A1:{chr(ord('A') + len(HEADERS) - 1)}1",))
    filename = f"bench-{rows}.xlsx"
    everything = Scope(paths=(), everything=True)
    print(
        f"database: {connection.vendor} ({connection.settings_dict['NAME']}), "
        f"tree of {len(communities)} communities built in {setup['tree']:.2f} s"
    )
    print(
        f"file: {filename}, {rows:,} rows, {megabytes(len(data))} "
        f"(generated in {setup['file']:.2f} s)"
    )

    profiler = cProfile.Profile() if profile_top else None
    first, counts = import_once(data, filename, everything, profiler)
    print(f"first import: {counts}")
    for key in ("read", "check", "apply"):
        print(line(key, first[key]))
    print(line("total", first["total"], rows))
    people = User.objects.count(), WorkerProfile.objects.count()
    print(f"  database now holds {people[0]:,} users, {people[1]:,} worker profiles")

    again, counts = import_once(data, filename, everything)
    print(f"second import of the same file: {counts}")
    for key in ("read", "check", "apply"):
        print(line(key, again[key]))
    print(line("total", again["total"], rows))

    size, seconds, code = refusal_time()
    print(f"refusing a {REFUSAL_ROWS:,}-row CSV ({megabytes(size)}): {seconds:.2f} s → {code}")

    if profiler:
        print(f"\ncProfile of the first import, top {profile_top} by cumulative time:")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats("cumulative").print_stats(profile_top)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(
            profile_top
        )
        print(f"top {profile_top} by own time:")
        print(out.getvalue())

    print(f"{rows} rows: total {first['total']:.1f} s (target ≤ {TARGET_SECONDS} s)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="worker rows (default 10000)")
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite (a temporary file, the default) or a database URL such as postgres://…",
    )
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=30,
        default=0,
        metavar="N",
        help="profile the first import with cProfile and print the top N functions (30)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.rows <= 10**8:
        parser.error("--rows must be between 1 and 100,000,000")

    folder = configure(args.database)
    try:
        import django

        django.setup()
        old_name = create_database(folder)
        try:
            run(args.rows, args.profile)
        finally:
            drop_database(old_name)
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
