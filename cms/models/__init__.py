"""The site's models: the home page and unit sections, the casebook, the data API's clients."""

from .api import ApiCall, ApiClient  # noqa: F401
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
