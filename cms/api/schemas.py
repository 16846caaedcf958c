"""What the API takes (paging, filters) and gives (one schema per list); the OpenAPI document is
generated from these."""

from datetime import date, datetime

from ninja import Field, Schema

from competitions.models import RoundResult
from people.models import OrgUnit, WorkerProfile
from training.models import Certificate

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 1_000_000  # keeps the SQL offset within range
UnitCode = Field(
    None, max_length=32, description="Only this unit's subtree (an org unit code in your scope)."
)


# --- Input -----------------------------------------------------------------------------------


class Paging(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE,
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Rows per page, at most {MAX_PAGE_SIZE}.",
    )


class UnitFilters(Schema):
    unit: str | None = UnitCode
    level: OrgUnit.Level | None = Field(None, description="Only units of this level.")


class WorkerFilters(Schema):
    unit: str | None = UnitCode
    position: WorkerProfile.Position | None = Field(None, description="Only this position.")


class YearFilters(Schema):
    unit: str | None = UnitCode
    year: int | None = Field(
        None, ge=2000, le=2100, description="Calendar year; this year when left out."
    )


class CertificateFilters(Schema):
    unit: str | None = UnitCode
    year: int | None = Field(None, ge=2000, le=2100, description="Year of issue.")
    kind: Certificate.Kind | None = Field(None, description="Only this kind.")


class ResultFilters(Schema):
    unit: str | None = UnitCode
    year: int | None = Field(None, ge=2000, le=2100, description="Year of the competition.")
    competition: int | None = Field(None, ge=1, description="Only this competition (its id).")
    include_superseded: bool = Field(
        False, description="Also versions replaced by a later publication."
    )


# --- Output ----------------------------------------------------------------------------------


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, for people.")
    code: str = Field(description="What went wrong, for programs (token_missing, rate_limited…).")
    errors: list[FieldError] | None = Field(None, description="Each invalid parameter.")


class PageOut(Schema):
    count: int = Field(description="Rows in all pages.")
    page: int
    page_size: int


class UnitOut(Schema):
    code: str
    name: str
    level: OrgUnit.Level
    parent_code: str | None
    path_name: str = Field(
        description="Names from the district down, e.g. 东湖区/和平街道/幸福社区."
    )


class WorkerOut(Schema):
    id: int = Field(description="The worker's id; holder_id and worker_id elsewhere refer to it.")
    name: str
    community_code: str
    community_name: str
    position: WorkerProfile.Position
    worker_number: str
    start_date: date | None
    mobile: str = Field(description="Masked (139****5678) unless the client may see it in full.")


class HoursOut(Schema):
    worker_id: int
    name: str
    community_code: str
    year: int
    by_category: dict[str, float] = Field(description="online, offline, external, contest.")
    earned: float
    required: float
    offline_earned: float
    offline_required: float
    met: bool


class CompletionOut(Schema):
    worker_id: int
    worker_name: str
    community_code: str
    course_id: int
    course_title: str
    tier: str
    completed_at: datetime
    hours: float


class CertificateOut(Schema):
    code: str
    kind: Certificate.Kind
    holder_id: int
    title: str
    issued_on: date
    revoked: bool
    revoked_at: datetime | None


class ContestResultOut(Schema):
    competition_id: int
    competition: str
    year: int
    round: str
    version: int
    status: RoundResult.Status
    published_at: datetime
    rank: int
    registration_id: int
    contestant: str
    unit_code: str
    unit_name: str
    stages: dict[str, str | None] = Field(description="Published stage scores by stage code.")
    total: str | None = Field(description="As published, e.g. 87.50.")
    award: str


class UnitPage(PageOut):
    results: list[UnitOut]


class WorkerPage(PageOut):
    results: list[WorkerOut]


class HoursPage(PageOut):
    results: list[HoursOut]


class CompletionPage(PageOut):
    results: list[CompletionOut]


class CertificatePage(PageOut):
    results: list[CertificateOut]


class ContestResultPage(PageOut):
    results: list[ContestResultOut]
