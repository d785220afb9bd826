from django.urls import path

from programs import views

urlpatterns = [
    path("programs/", views.ProgramListView.as_view(), name="program_list"),
    path("programs/new/", views.ProgramFormView.as_view(), name="program_create"),
    path("personas/", views.PersonaListView.as_view(), name="persona_list"),
    path("personas/new/", views.PersonaFormView.as_view(), name="persona_create"),
    path("personas/<str:persona_id>/", views.PersonaFormView.as_view(), name="persona_edit"),
    path("join-sources/", views.JoinSourceListView.as_view(), name="join_source_list"),
    path("join-sources/new/", views.JoinSourceFormView.as_view(), name="join_source_create"),
    path(
        "join-sources/<str:join_source_id>/",
        views.JoinSourceFormView.as_view(),
        name="join_source_edit",
    ),
    path("onboarding/", views.CourseListView.as_view(), name="course_list"),
    path("onboarding/courses/new/", views.CourseFormView.as_view(), name="course_create"),
    path("onboarding/courses/<str:course_id>/", views.CourseFormView.as_view(), name="course_edit"),
    path(
        "onboarding/certifications/new/",
        views.CertificationFormView.as_view(),
        name="certification_create",
    ),
    path(
        "onboarding/certifications/<str:certification_id>/",
        views.CertificationFormView.as_view(),
        name="certification_edit",
    ),
]
