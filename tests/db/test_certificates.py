"""Certificates: codes, idempotent issue, the PDF's Chinese text and QR code, the public
verification page, the holder's download and revocation (reason and scope), and the award
certificates a final competition result issues."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from competitions.certificates import issue_award_certificates
from competitions.models import RoundResult
from tests.factories import make_admin, make_competition, make_entry, make_tree, make_worker
from training import certificates
from training.models import Certificate

pytestmark = pytest.mark.django_db


def compact(text: str) -> str:
    # pypdf may put spaces or line breaks between CJK glyphs; compare without them.
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> str:
    return compact("".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


@pytest.fixture
def units():
    return make_tree()


@pytest.fixture
def holder(units):
    return make_worker(units["TD1S1C1"], real_name="张晓梅")


def issue_one(holder, issuer, source="course:1", **overrides):
    fields = {
        "kind": Certificate.Kind.COURSE,
        "title": "社区治理实务",
        "achievement": "完成《社区治理实务》课程全部学习内容，考核合格",
        "issued_on": date(2026, 11, 27),
        **overrides,
    }
    return certificates.issue(
        holder,
        fields["kind"],
        fields["title"],
        fields["achievement"],
        issuer,
        fields["issued_on"],
        source,
    )


# ---------------------------------------------------------------------------------------
# Codes, masking, issue
# ---------------------------------------------------------------------------------------


def test_codes_are_long_unambiguous_and_different():
    codes = {certificates.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 12
        assert not set(code) & set("01OIL")
        assert set(code) <= set(certificates.CODE_ALPHABET)


def test_typed_codes_are_normalised():
    assert certificates.normalise_code(" 7kq2-m9xh 4prt ") == "7KQ2M9XH4PRT"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张晓梅", "张*梅"), ("张三", "张*"), ("欧阳晓梅", "欧**梅"), ("李", "*"), ("", "")],
)
def test_names_are_masked(name, masked):
    assert certificates.mask_name(name) == masked


def test_issue_is_idempotent_on_source(units, holder):
    first = issue_one(holder, units["TD1"])
    again = issue_one(holder, units["TD1"], title="另一个标题")
    assert again.pk == first.pk and again.title == "社区治理实务"
    assert Certificate.objects.count() == 1
    other = issue_one(holder, units["TD1"], source="course:2")
    assert other.code != first.code and Certificate.objects.count() == 2


def test_issue_refuses_an_empty_title(units, holder):
    with pytest.raises(ValidationError):
        issue_one(holder, units["TD1"], title="")
    assert not Certificate.objects.exists()


def test_verification_url_is_absolute(units, holder, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://zhuangma.example.cn/"
    certificate = issue_one(holder, units["TD1"])
    assert certificates.verification_url(certificate.code) == (
        f"https://zhuangma.example.cn/training/verify/{certificate.code}/"
    )


# ---------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------


def test_pdf_is_a4_landscape_with_the_chinese_text_and_code(units, holder):
    certificate = issue_one(holder, units["TD1"])
    content = certificates.render_pdf(certificate)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    assert abs(float(box.width) - 841.89) < 2 and abs(float(box.height) - 595.28) < 2
    text = pdf_text(content)
    assert "张晓梅" in text
    assert "完成《社区治理实务》课程全部学习内容，考核合格" in text
    assert certificate.code in text
    assert "T市T第1区" in text  # the issuer signs with its full name
    assert "2026年11月27日" in text
    assert f"/training/verify/{certificate.code}/" in text
    fonts = {
        str(ref.get_object()["/BaseFont"])
        for ref in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert fonts and all("Noto" in font and "CJK" in font for font in fonts), fonts


def test_qr_code_encodes_the_verification_url():
    uri = certificates.qr_data_uri("https://example.cn/training/verify/ABC/")
    assert uri.startswith("data:image/svg+xml")


def test_background_task_stores_the_pdf(units, holder, django_capture_on_commit_callbacks):
    certificate = issue_one(holder, units["TD1"])
    with django_capture_on_commit_callbacks(execute=True):
        certificates.queue_pdf(certificate)
    certificate.refresh_from_db()
    assert certificate.pdf.name.endswith(".pdf")
    with certificate.pdf.open("rb") as stored:
        assert "张晓梅" in pdf_text(stored.read())


# ---------------------------------------------------------------------------------------
# Verification page
# ---------------------------------------------------------------------------------------


def test_verification_page_shows_a_masked_holder(client, units, holder):
    certificate = issue_one(holder, units["TD1"])
    response = client.get(f"/training/verify/{certificate.code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "张*梅" in page and "张晓梅" not in page
    assert "完成《社区治理实务》课程全部学习内容，考核合格" in page
    assert "T市T第1区" in page
    assert "2026年11月27日" in page
    assert 'class="panel verdict-box"' in page  # valid, not revoked


def test_typed_code_is_found_through_the_search_form(client, units, holder):
    certificate = issue_one(holder, units["TD1"])
    typed = certificate.code.lower()[:4] + "-" + certificate.code.lower()[4:]
    response = client.get("/training/verify/", {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/training/verify/{certificate.code}/"
    assert client.get("/training/verify/").status_code == 200


def test_unknown_code_is_a_clear_404(client):
    response = client.get("/training/verify/ZZZZ2222ZZZZ/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'class="panel verdict-box missing"' in page
    assert "ZZZZ2222ZZZZ" in page
    assert 'name="code"' in page  # the form to try another code


def test_revoked_certificate_says_so_and_why(client, units, holder):
    certificate = issue_one(holder, units["TD1"])
    admin = make_admin(units["TD1S1"])  # a street admin: no TOTP required
    street_certificate = issue_one(holder, units["TD1S1"], source="course:street")
    certificates.revoke(street_certificate, admin, "考核成绩作废")
    page = client.get(f"/training/verify/{street_certificate.code}/").content.decode()
    assert "verdict-box revoked" in page and "考核成绩作废" in page
    # The other certificate still holds.
    page = client.get(f"/training/verify/{certificate.code}/").content.decode()
    assert "verdict-box revoked" not in page


# ---------------------------------------------------------------------------------------
# Revocation
# ---------------------------------------------------------------------------------------


def test_revoke_needs_a_reason_and_the_issuers_scope(units, holder):
    certificate = issue_one(holder, units["TD1S1"])
    own_admin = make_admin(units["TD1S1"])
    other_admin = make_admin(units["TD1S2"])
    with pytest.raises(PermissionDenied):
        certificates.revoke(certificate, other_admin, "理由")
    with pytest.raises(PermissionDenied):
        certificates.revoke(certificate, holder, "理由")
    with pytest.raises(ValidationError):
        certificates.revoke(certificate, own_admin, "   ")
    certificate.refresh_from_db()
    assert not certificate.revoked
    certificates.revoke(certificate, own_admin, "重复发放")
    certificate.refresh_from_db()
    assert certificate.revoked and certificate.revoked_reason == "重复发放"
    assert certificate.revoked_by == own_admin
    with pytest.raises(ValidationError):
        certificates.revoke(certificate, own_admin, "再次撤销")
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "重复发放"


def test_revoke_form(client, units, holder):
    certificate = issue_one(holder, units["TD1S1"])
    url = f"/training/certificates/{certificate.code}/revoke/"
    client.force_login(make_admin(units["TD1S2"]))
    assert client.post(url, {"reason": "无权"}).status_code == 403
    client.force_login(make_admin(units["TD1S1"]))
    assert client.get(url).status_code == 200
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 400 and 'class="error"' in empty.content.decode()
    certificate.refresh_from_db()
    assert not certificate.revoked
    done = client.post(url, {"reason": "信息有误"})
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "信息有误"


# ---------------------------------------------------------------------------------------
# Holder's download
# ---------------------------------------------------------------------------------------


def test_holder_downloads_the_pdf_and_nobody_else(client, units, holder):
    certificate = issue_one(holder, units["TD1"])
    url = f"/training/certificates/{certificate.code}/download/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_worker(units["TD1S1C2"], real_name="王五"))
    assert client.get(url).status_code == 404
    client.force_login(holder)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert certificate.code in pdf_text(response.content)
    certificate.refresh_from_db()
    assert certificate.pdf  # kept for the next download
    mine = client.get("/training/certificates/").content.decode()
    assert certificate.title in mine


# ---------------------------------------------------------------------------------------
# Award certificates from a final result
# ---------------------------------------------------------------------------------------


def _final_result(units, *, status=RoundResult.Status.FINAL):
    competition = make_competition(units["T"], title="青禾杯社区工作者技能大赛")
    round_ = competition.rounds.get()
    workers = [
        make_worker(units["TD1S1C1"], real_name="张晓梅"),
        make_worker(units["TD1S2C1"], real_name="李四"),
        make_worker(units["TD2S1C1"], real_name="王五"),
    ]
    entries = [make_entry(competition, w) for w in workers]
    awards = ["一等奖", "二等奖", ""]
    ranking = [
        {
            "rank": n,
            "contestant": f"A00{n}",
            "name": entry.registration.worker.real_name,
            "unit": entry.registration.unit.name,
            "stages": {"scenario": str(Decimal(90) - n)},
            "total": str(Decimal(90) - n),
            "award": award,
            "registration": entry.registration_id,
        }
        for n, (entry, award) in enumerate(zip(entries, awards, strict=True), start=1)
    ]
    chief = make_admin(units["T"])
    result = RoundResult.objects.create(
        round=round_,
        version=1,
        status=status,
        published_at=timezone.now(),
        published_by=chief,
        appeal_deadline=timezone.now(),
        finalised_at=timezone.now() if status == RoundResult.Status.FINAL else None,
        ranking=ranking,
        scores_csv="",
        rules_json="{}",
        ranking_csv="",
        sha256="0" * 64,
    )
    return result, workers


def test_award_certificates_only_for_awards_and_only_once(
    units, django_capture_on_commit_callbacks
):
    result, workers = _final_result(units)
    with django_capture_on_commit_callbacks(execute=True):
        assert issue_award_certificates(result) == 2
    issued = {c.holder_id: c for c in Certificate.objects.all()}
    assert set(issued) == {workers[0].pk, workers[1].pk}  # 王五 has no award
    first = issued[workers[0].pk]
    assert first.kind == Certificate.Kind.AWARD
    assert first.source == f"award:{result.round_id}:{result.ranking[0]['registration']}"
    assert "青禾杯社区工作者技能大赛" in first.title and "一等奖" in first.title
    assert first.issuer == result.round.competition.owner_unit
    assert first.pdf  # the queued task ran (ImmediateBackend)
    with first.pdf.open("rb") as stored:
        text = pdf_text(stored.read())
    assert "张晓梅" in text and "一等奖" in text and first.code in text
    # Again: nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        assert issue_award_certificates(result) == 0
    assert Certificate.objects.count() == 2


def test_award_certificates_wait_for_the_final_result(units):
    result, _workers = _final_result(units, status=RoundResult.Status.NOTICE)
    with pytest.raises(ValidationError):
        issue_award_certificates(result)
    assert not Certificate.objects.exists()
