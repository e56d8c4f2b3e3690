from django.urls import path

from audits import views

app_name = "audits"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("measures/<int:pk>/", views.measure_detail, name="measure"),
    path("measures/<int:pk>/samples/new/", views.sample_new, name="sample_new"),
    path("samples/<int:pk>/edit/", views.sample_edit, name="sample_edit"),
    path("measures/<int:pk>/schedules/propose/", views.schedule_propose, name="schedule_propose"),
    path("measures/<int:pk>/schedules/confirm/", views.schedule_confirm, name="schedule_confirm"),
    path("measures/<int:pk>/values/new/", views.value_new, name="value_new"),
    path("measures/<int:pk>/targets/", views.targets_edit, name="targets"),
    path("measures/<int:pk>/override/", views.rag_override, name="override"),
]
