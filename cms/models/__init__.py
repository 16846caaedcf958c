"""The site's models: the home page and unit sections, and the casebook."""

from .casebook import (  # noqa: F401
    ApplicationReport,
    Booklet,
    Bookmark,
    CasebookPage,
    CaseCategory,
    CasePage,
    CaseTag,
    GuidePage,
    UnitReviewTask,
    UsefulMark,
)
from .site import HomePage, SectionPage, child_sections  # noqa: F401
