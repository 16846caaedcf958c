"""A fictional city for demonstrations and manual testing. Loading it twice changes nothing.

青禾市 is made up; so are its districts, streets, communities and people. Phone numbers
use the 199 0000 range so that none is likely to belong to anybody.
"""

import random
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction

from people import crypto, duties
from people.idnumbers import check_char
from people.models import OrgUnit, Role, User, WorkerProfile

from .models import HomePage
from .sections import ensure_section
from .workflows import ensure_review_workflow

DEMO_PASSWORD = "zhuangma-demo"

CITY = ("QH", "青禾市")
# district code, name, [(street name, [community names])]
DISTRICTS = [
    (
        "QH01",
        "东湖区",
        [
            ("和平街道", ["幸福社区", "春晖社区", "湖滨社区", "新华社区"]),
            ("桃源街道", ["桃园社区", "杏林社区", "翠竹社区"]),
            ("滨江街道", ["江畔社区", "望江社区", "渔港社区"]),
        ],
    ),
    (
        "QH02",
        "西岭区",
        [
            ("岭南街道", ["松风社区", "枫林社区", "石桥社区", "南岭社区"]),
            ("安居街道", ["安康社区", "乐居社区", "和睦社区"]),
            ("朝阳街道", ["朝晖社区", "红旗社区", "光明社区"]),
        ],
    ),
    (
        "QH03",
        "南川县",
        [
            ("城关镇", ["城东社区", "城西社区", "北门社区", "文庙社区"]),
            ("白石乡", ["白石村", "青山村", "河湾村"]),
            ("柳溪镇", ["柳溪社区", "上坝村", "下坝村"]),
        ],
    ),
]
WORKERS_PER_COMMUNITY = 10
# Workers of the first community without a password yet (activation slips, people/activation.py).
NOT_ACTIVATED = 2
# "990101" is no real area code, so no demo ID number can be a real person's.
DEMO_AREA_CODE = "990101"
# Demo logins allowed to see ID and mobile numbers in full (each look is audited).
PERSONAL_DATA_VIEWERS = ("city_admin", "street_admin")
# The duty holders' logins (三员分立, people/duties.py): login, name, duty.
DUTY_HOLDERS = [
    ("auditor", "何文清", duties.AUDIT),  # the audit log, nothing else
    ("security", "罗安平", duties.SECURITY),  # accounts, roles, lock-outs
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建华志强文海燕建国春梅晓东丹丹慧敏雪梅国庆志刚秋菊宏伟晓燕建军凤英雅琴海波淑珍立新红梅永强美玲俊杰桂芝德明爱华"

# Staff: an admin at every level (two districts, to show that one cannot see the other),
# trainers at the city and in each district, and a panel of judges.
STAFF = [
    ("city_admin", "陈立新", Role.Kind.ADMIN, "QH"),
    ("district_admin", "王海燕", Role.Kind.ADMIN, "QH01"),
    ("district2_admin", "赵建国", Role.Kind.ADMIN, "QH02"),
    ("street_admin", "李春梅", Role.Kind.ADMIN, "QH0101"),
    ("community_admin", "刘淑珍", Role.Kind.ADMIN, "QH0101001"),
    ("trainer", "周文海", Role.Kind.TRAINER, "QH01"),
    ("trainer_city", "吴美玲", Role.Kind.TRAINER, "QH"),
    ("trainer_xl", "郑俊杰", Role.Kind.TRAINER, "QH02"),
    ("trainer_nc", "黄桂芝", Role.Kind.TRAINER, "QH03"),
    ("judge", "孙雅琴", Role.Kind.JUDGE, "QH"),
    ("judge2", "马德明", Role.Kind.JUDGE, "QH"),
    ("judge3", "高爱华", Role.Kind.JUDGE, "QH"),
    # Judges from the districts and a street: the draw keeps them from their own people.
    ("judge4", "许志刚", Role.Kind.JUDGE, "QH01"),
    ("judge5", "唐秋菊", Role.Kind.JUDGE, "QH02"),
    ("judge6", "韩宏伟", Role.Kind.JUDGE, "QH03"),
    ("judge7", "冯晓燕", Role.Kind.JUDGE, "QH0201"),
    ("chief_judge", "曹建军", Role.Kind.JUDGE, "QH"),
]


@dataclass
class Login:
    role: str
    login: str
    unit: str


def _given_names():
    # Two-character given names from the pool, plus a few one-character ones, as in life.
    pool = [GIVEN[i : i + 2] for i in range(0, len(GIVEN) - 1, 2)]
    pool += list("伟芳敏静磊洋勇杰涛超")
    return pool


def _unit(parent, code, name, level, population=None):
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = parent.add_child(code=code, name=name, level=level, population=population)
    return unit


def _id_number(rng: random.Random, birth: date) -> str:
    body = f"{DEMO_AREA_CODE}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + check_char(body)


def _user(username, real_name, phone, password_hash):
    user, _created = User.objects.get_or_create(
        username=username,
        defaults={"real_name": real_name, "phone": phone, "password": password_hash},
    )
    return user


@transaction.atomic
def load_demo() -> list[Login]:
    city = OrgUnit.objects.filter(code=CITY[0]).first() or OrgUnit.add_root(
        code=CITY[0], name=CITY[1], level="city"
    )
    home = HomePage.objects.get()
    ensure_section(city, home)
    # Cases and courses submitted for review go to their street, then their district.
    ensure_review_workflow(home)
    rng = random.Random(2026)  # the same people every time
    given = _given_names()
    # Hashing is deliberately slow; one hash serves every demo account.
    password_hash = make_password(DEMO_PASSWORD)
    phone_seq = 0
    first_worker = None
    for d_code, d_name, streets in DISTRICTS:
        district = _unit(city, d_code, d_name, "district")
        ensure_section(district, home)
        for s_index, (s_name, communities) in enumerate(streets, start=1):
            street = _unit(district, f"{d_code}{s_index:02d}", s_name, "street")
            ensure_section(street, home)
            for c_index, c_name in enumerate(communities, start=1):
                community = _unit(
                    street,
                    f"{street.code}{c_index:03d}",
                    c_name,
                    "community",
                    population=rng.randrange(3000, 12000, 100),
                )
                for w in range(WORKERS_PER_COMMUNITY):
                    phone_seq += 1
                    name = rng.choice(SURNAMES) + rng.choice(given)
                    # The first community's last workers came with a roster import: no password
                    # until they use the activation slip their street admin downloads.
                    imported = (
                        WORKERS_PER_COMMUNITY - NOT_ACTIVATED < phone_seq <= WORKERS_PER_COMMUNITY
                    )
                    position = (
                        WorkerProfile.Position.SECRETARY
                        if w == 0
                        else rng.choice(WorkerProfile.Position.values[2:])
                    )
                    user = _user(
                        f"w{community.code}{w:02d}".lower(),
                        name,
                        f"1990000{phone_seq:04d}",
                        make_password(None) if imported else password_hash,
                    )
                    birth = date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28))
                    id_number = _id_number(rng, birth)
                    WorkerProfile.objects.get_or_create(
                        user=user,
                        defaults={
                            "community": community,
                            "position": position,
                            "worker_number": f"{community.code}-{w + 1:02d}",
                            "start_date": date(rng.randint(2008, 2025), rng.randint(1, 12), 1),
                            "id_number_encrypted": crypto.encrypt(id_number),
                            "id_number_hash": crypto.keyed_hash(id_number),
                        },
                    )
                    first_worker = first_worker or user
    logins = [
        Login(
            str(Role.Kind.WORKER.label),
            first_worker.phone,
            first_worker.worker_profile.community.name_path(),
        )
    ]
    for n, (username, real_name, kind, unit_code) in enumerate(STAFF, start=1):
        unit = OrgUnit.objects.get(code=unit_code)
        user = _user(username, real_name, f"1990001{n:04d}", password_hash)
        Role.objects.get_or_create(user=user, unit=unit, kind=kind)
        if username in PERSONAL_DATA_VIEWERS:
            user.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label="people", codename="view_personal_data"
                )
            )
        logins.append(Login(str(Role.Kind(kind).label), username, unit.name_path()))
    for n, (username, real_name, duty) in enumerate(DUTY_HOLDERS, start=len(STAFF) + 1):
        user = _user(username, real_name, f"1990001{n:04d}", password_hash)
        if duty not in duties.duties_of(user):
            duties.grant(user, duty)
        logins.append(Login(str(duties.LABELS[duty]), username, city.name_path()))
    return logins
