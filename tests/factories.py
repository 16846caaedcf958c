"""Small builders for tests: a tree, people with roles, sections. Each call makes new rows."""

import itertools

from cms.models import HomePage
from cms.sections import ensure_section
from people.models import OrgUnit, Role, User, WorkerProfile

PASSWORD = "Zhuangma-test-2026"
_seq = itertools.count(1)


def next_phone() -> str:
    return f"139{next(_seq):08d}"


def make_user(real_name="测试用户", *, phone=None, username=None, password=PASSWORD, **extra):
    n = next(_seq)
    return User.objects.create_user(
        username=username or f"user{n}",
        password=password,
        real_name=real_name,
        phone=phone or next_phone(),
        **extra,
    )


def make_tree(prefix="T"):
    """city → 2 districts → 2 streets each → 2 communities each; returns a dict by code."""
    units = {}
    city = OrgUnit.add_root(code=f"{prefix}", name=f"{prefix}市", level="city")
    units[city.code] = city
    for d in (1, 2):
        district = city.add_child(code=f"{prefix}D{d}", name=f"{prefix}第{d}区", level="district")
        units[district.code] = district
        for s in (1, 2):
            street = district.add_child(
                code=f"{prefix}D{d}S{s}", name=f"{prefix}{d}区{s}街道", level="street"
            )
            units[street.code] = street
            for c in (1, 2):
                community = street.add_child(
                    code=f"{prefix}D{d}S{s}C{c}", name=f"{prefix}{d}-{s}-{c}社区", level="community"
                )
                units[community.code] = community
    return {code: OrgUnit.objects.get(pk=u.pk) for code, u in units.items()}


def give_role(user, unit, kind):
    return Role.objects.create(user=user, unit=unit, kind=kind)


def make_admin(unit, **kwargs):
    user = make_user(f"{unit.name}管理员", **kwargs)
    give_role(user, unit, Role.Kind.ADMIN)
    return user


def make_worker(community, *, position="full_time", **kwargs):
    user = make_user(kwargs.pop("real_name", "张晓梅"), **kwargs)
    WorkerProfile.objects.create(user=user, community=community, position=position)
    return user


def make_sections(units):
    """A section page for every publishing unit in `units`, mirroring the tree."""
    home = HomePage.objects.get()
    return {
        code: ensure_section(unit, home)
        for code, unit in units.items()
        if unit.level in ("city", "district", "street")
    }


def activate_totp(user) -> str:
    """Give `user` an authenticator app, as required of city and district admins. Returns the secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret
