from django.contrib import admin

from partnerhub.tenancy.admin import UnscopedAdmin
from partners.models import (
    Application,
    CertificationAttempt,
    CourseProgress,
    Lead,
    LessonCompletion,
    Partner,
    PartnerImport,
    Partnership,
    PartnerUser,
    ReferralClick,
    ReferralDestination,
)


class PartnerUserInline(admin.TabularInline):
    model = PartnerUser
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "kind", "company_name", "created_at"]
    search_fields = ["name", "email", "public_id"]
    inlines = [PartnerUserInline]


@admin.register(Partnership)
class PartnershipAdmin(UnscopedAdmin):
    list_display = ["public_id", "vendor", "program", "partner", "status", "stage", "referral_code"]
    list_filter = ["status", "stage"]
    search_fields = ["public_id", "referral_code", "partner__email"]
    raw_id_fields = ["program", "partner", "persona", "join_source", "recruited_by"]


@admin.register(Application)
class ApplicationAdmin(UnscopedAdmin):
    list_display = ["public_id", "vendor", "program", "partner", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["program", "partner", "partnership", "join_source", "recruited_by"]


@admin.register(PartnerImport)
class PartnerImportAdmin(UnscopedAdmin):
    list_display = ["public_id", "vendor", "program", "rows_total", "created_count"]


@admin.register(CourseProgress)
class CourseProgressAdmin(UnscopedAdmin):
    list_display = ["partnership", "course", "started_at", "completed_at"]


@admin.register(LessonCompletion)
class LessonCompletionAdmin(UnscopedAdmin):
    list_display = ["partnership", "lesson", "completed_at"]


@admin.register(CertificationAttempt)
class CertificationAttemptAdmin(UnscopedAdmin):
    list_display = ["partnership", "certification", "score_percent", "passed", "created_at"]


@admin.register(ReferralDestination)
class ReferralDestinationAdmin(UnscopedAdmin):
    """Where a program's referral links land (no dashboard page yet)."""

    list_display = ["public_id", "vendor", "program", "website_url"]
    raw_id_fields = ["program"]


@admin.register(ReferralClick)
class ReferralClickAdmin(UnscopedAdmin):
    list_display = ["public_id", "vendor", "partnership", "landing", "created_at"]
    raw_id_fields = ["partnership"]


@admin.register(Lead)
class LeadAdmin(UnscopedAdmin):
    list_display = ["public_id", "vendor", "company", "contact_email", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["partnership", "decided_by"]
