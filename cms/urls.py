from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, reverse
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from people.activation_views import activate

from . import views


class ToAllauthLogin(RedirectView):
    """Wagtail's (admin and front-end) and Django's admin logins lead to allauth's, with its rate
    limits and MFA."""

    def get_redirect_url(self, *args, **kwargs):
        url = reverse("account_login")
        query = self.request.META.get("QUERY_STRING", "")
        return f"{url}?{query}" if query else url


urlpatterns = [
    path("admin/login/", ToAllauthLogin.as_view()),
    path("django-admin/login/", ToAllauthLogin.as_view()),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("cms.api.urls")),
]

urlpatterns += i18n_patterns(
    path("accounts/activate/", activate, name="account_activate"),
    path("accounts/", include("allauth.urls")),
    path("me/", views.me, name="me"),
    path("profile/", include("cms.profile_urls")),
    path("dashboard/", include("cms.dashboard_urls")),
    path("api-clients/", include("cms.api.admin_urls")),
    path("roster/", include("people.urls")),
    path("training/", include("training.urls")),
    path("competitions/", include("competitions.urls")),
    path("cases/", views.casebook_home, name="casebook_home"),
    path("cases/booklets/", include("cms.booklet_urls")),
    path("cases/", include("cms.search_urls")),
    path("cases/", include("cms.casebook_urls")),
    # Wagtail's front-end login is a plain LoginView: no rate limits, no second factor.
    path("_util/login/", ToAllauthLogin.as_view()),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT) + urlpatterns
