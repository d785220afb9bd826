"""Dashboard pages: programs, personas (+ suggestion rules) and join sources."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from partnerhub.core.pages import FormPage, ListPage
from partnerhub.tenancy.pages import form_errors_from
from programs import selectors, services
from programs.forms import (
    CertificationForm,
    CourseForm,
    JoinSourceForm,
    LessonForm,
    PersonaForm,
    PersonaRuleForm,
    ProgramForm,
)
from programs.models import (
    Certification,
    Course,
    JoinSource,
    Lesson,
    PartnerPersona,
    PersonaRule,
    Program,
)


class ProgramListView(ListPage):
    template_name = "programs/program_list.html"
    nav = "programs"

    def items(self) -> QuerySet[Program]:
        qs = selectors.program_list(vendor=self.vendor).annotate(
            partnership_count=Count("partnerships")
        )
        return self.filter_choice(qs, "status", Program.Status.values)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(statuses=Program.Status.choices, **kwargs)


class ProgramFormView(FormPage):
    template_name = "programs/form.html"
    nav = "programs"
    model = Program
    lookup_kwarg = "program_id"
    success_url_name = "programs:program_list"
    noun = "program"

    def make_form(self, data: Any = None, files: Any = None) -> BaseForm:
        return ProgramForm(data, instance=self.get_object() or Program(vendor=self.vendor))

    def save(self, form: BaseForm, obj: Program | None) -> Program:
        fields = dict(form.cleaned_data)
        if obj is None:
            return services.program_create(vendor=self.vendor, actor=self.actor, **fields)
        return services.program_update(
            vendor=self.vendor, actor=self.actor, program_id=obj.public_id, **fields
        )


class PersonaListView(ListPage):
    template_name = "programs/persona_list.html"
    nav = "personas"

    def items(self) -> QuerySet[PartnerPersona]:
        qs = selectors.persona_list(vendor=self.vendor).annotate(rule_count=Count("rules"))
        if self.request.GET.get("program"):
            qs = qs.filter(program__public_id=self.request.GET["program"])
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            programs=selectors.program_list(vendor=self.vendor), **kwargs
        )


class PersonaFormView(FormPage):
    template_name = "programs/persona_form.html"
    nav = "personas"
    model = PartnerPersona
    lookup_kwarg = "persona_id"
    success_url_name = "programs:persona_list"
    noun = "persona"

    def make_form(self, data: Any = None, files: Any = None) -> BaseForm:
        return PersonaForm(
            data,
            instance=self.get_object() or PartnerPersona(vendor=self.vendor),
            vendor=self.vendor,
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        persona = context["object"]
        if persona is not None:
            context["rules"] = PersonaRule.objects.for_vendor(self.vendor).filter(persona=persona)
            context.setdefault("rule_form", PersonaRuleForm())
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        persona = self.get_object()
        if persona is None or "conditions" not in request.POST:
            return super().post(request, **kwargs)
        rule_form = PersonaRuleForm(request.POST)
        if rule_form.is_valid():
            try:
                services.persona_rule_create(
                    vendor=self.vendor,
                    actor=self.actor,
                    persona_id=persona.public_id,
                    **rule_form.cleaned_data,
                )
            except ValidationError as exc:
                rule_form.add_error("conditions", exc.messages)
            else:
                messages.success(request, "Rule added.")
                return redirect(
                    "programs:persona_edit",
                    vendor_slug=self.vendor.slug,
                    persona_id=persona.public_id,
                )
        return self.render_to_response(self.get_context_data(rule_form=rule_form), status=400)

    def save(self, form: BaseForm, obj: PartnerPersona | None) -> PartnerPersona:
        fields = form.service_fields()  # type: ignore[attr-defined]
        if obj is None:
            return services.persona_create(vendor=self.vendor, actor=self.actor, **fields)
        return services.persona_update(
            vendor=self.vendor, actor=self.actor, persona_id=obj.public_id, **fields
        )


class JoinSourceListView(ListPage):
    template_name = "programs/join_source_list.html"
    nav = "join_sources"

    def items(self) -> QuerySet[JoinSource]:
        qs = selectors.join_source_list(vendor=self.vendor).annotate(
            application_count=Count("applications")
        )
        return self.filter_choice(qs, "kind", JoinSource.Kind.values)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            kinds=JoinSource.Kind.choices,
            programs=selectors.program_list(vendor=self.vendor).exclude(
                status=Program.Status.DRAFT
            ),
            **kwargs,
        )


class JoinSourceFormView(FormPage):
    template_name = "programs/form.html"
    nav = "join_sources"
    model = JoinSource
    lookup_kwarg = "join_source_id"
    success_url_name = "programs:join_source_list"
    noun = "join source"

    def make_form(self, data: Any = None, files: Any = None) -> BaseForm:
        return JoinSourceForm(data, instance=self.get_object() or JoinSource(vendor=self.vendor))

    def save(self, form: BaseForm, obj: JoinSource | None) -> JoinSource:
        fields = dict(form.cleaned_data)
        if obj is None:
            return services.join_source_create(vendor=self.vendor, actor=self.actor, **fields)
        return services.join_source_update(
            vendor=self.vendor, actor=self.actor, join_source_id=obj.public_id, **fields
        )


class CourseListView(ListPage):
    template_name = "programs/onboarding_list.html"
    nav = "onboarding"

    def items(self) -> QuerySet[Course]:
        qs = selectors.course_list(vendor=self.vendor).annotate(lesson_count=Count("lessons"))
        if self.request.GET.get("program"):
            qs = qs.filter(program__public_id=self.request.GET["program"])
        return qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        certifications = Certification.objects.for_vendor(self.vendor).select_related(
            "program", "persona"
        )
        if self.request.GET.get("program"):
            certifications = certifications.filter(program__public_id=self.request.GET["program"])
        return super().get_context_data(
            programs=selectors.program_list(vendor=self.vendor),
            certifications=certifications,
            **kwargs,
        )


class CourseFormView(FormPage):
    template_name = "programs/course_form.html"
    nav = "onboarding"
    model = Course
    lookup_kwarg = "course_id"
    success_url_name = "programs:course_list"
    noun = "course"

    def make_form(self, data: Any = None, files: Any = None) -> BaseForm:
        return CourseForm(
            data, instance=self.get_object() or Course(vendor=self.vendor), vendor=self.vendor
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if context["object"] is not None:
            context["lessons"] = Lesson.objects.for_vendor(self.vendor).filter(
                course=context["object"]
            )
            context.setdefault("lesson_form", LessonForm())
        return context

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        course = self.get_object()
        if course is None or "add_lesson" not in request.POST:
            return super().post(request, **kwargs)
        lesson_form = LessonForm(request.POST, request.FILES)
        if lesson_form.is_valid():
            try:
                services.lesson_create(
                    vendor=self.vendor,
                    actor=self.actor,
                    course_id=course.public_id,
                    **lesson_form.cleaned_data,
                )
            except ValidationError as exc:
                form_errors_from(exc, lesson_form)
            else:
                messages.success(request, "Lesson added.")
                return redirect(
                    "programs:course_edit", vendor_slug=self.vendor.slug, course_id=course.public_id
                )
        return self.render_to_response(self.get_context_data(lesson_form=lesson_form), status=400)

    def save(self, form: BaseForm, obj: Course | None) -> Course:
        fields = form.service_fields()  # type: ignore[attr-defined]
        if obj is None:
            return services.course_create(vendor=self.vendor, actor=self.actor, **fields)
        return services.course_update(
            vendor=self.vendor, actor=self.actor, course_id=obj.public_id, **fields
        )


class CertificationFormView(FormPage):
    template_name = "programs/form.html"
    nav = "onboarding"
    model = Certification
    lookup_kwarg = "certification_id"
    success_url_name = "programs:course_list"
    noun = "certification"

    def make_form(self, data: Any = None, files: Any = None) -> BaseForm:
        return CertificationForm(
            data,
            instance=self.get_object() or Certification(vendor=self.vendor),
            vendor=self.vendor,
        )

    def save(self, form: BaseForm, obj: Certification | None) -> Certification:
        fields = form.service_fields()  # type: ignore[attr-defined]
        if obj is None:
            return services.certification_create(vendor=self.vendor, actor=self.actor, **fields)
        return services.certification_update(
            vendor=self.vendor, actor=self.actor, certification_id=obj.public_id, **fields
        )
