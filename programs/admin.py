from django.contrib import admin

from partnerhub.tenancy.admin import UnscopedAdmin
from programs.models import (
    Certification,
    Course,
    JoinSource,
    Lesson,
    PartnerPersona,
    PersonaRule,
    Program,
)


@admin.register(Program)
class ProgramAdmin(UnscopedAdmin):
    list_display = ["name", "vendor", "slug", "kind", "status", "application_mode", "currency"]
    list_filter = ["status", "kind", "application_mode"]
    search_fields = ["name", "slug", "public_id"]


@admin.register(PartnerPersona)
class PartnerPersonaAdmin(UnscopedAdmin):
    list_display = ["name", "vendor", "program", "typical_partner_type"]
    search_fields = ["name", "public_id"]


@admin.register(PersonaRule)
class PersonaRuleAdmin(UnscopedAdmin):
    list_display = ["public_id", "vendor", "persona", "priority", "is_active"]


@admin.register(JoinSource)
class JoinSourceAdmin(UnscopedAdmin):
    list_display = ["name", "vendor", "kind", "code", "is_active"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(Course)
class CourseAdmin(UnscopedAdmin):
    list_display = ["title", "vendor", "program", "persona", "position", "is_required"]


@admin.register(Lesson)
class LessonAdmin(UnscopedAdmin):
    list_display = ["title", "vendor", "course", "position", "kind"]


@admin.register(Certification)
class CertificationAdmin(UnscopedAdmin):
    list_display = ["title", "vendor", "program", "persona", "pass_mark_percent"]
