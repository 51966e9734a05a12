from django.urls import path

from . import views

app_name = "disputes"
urlpatterns = [
    path("", views.dispute_list, name="index"),
    path("new/", views.dispute_create, name="create"),
    path("triage/", views.triage, name="triage"),
    path("followups/", views.followups_due, name="followups_due"),
    path("analysis/", views.analysis, name="analysis"),
    path("blocks/", views.blocks, name="blocks"),
    path("blocks/<int:pk>/visits/", views.block_visits, name="block_visits"),
    path("casefiles/", views.casefiles, name="casefiles"),
    path("casefiles/<int:pk>/review/", views.casefile_review, name="casefile_review"),
    path("<int:pk>/", views.dispute_detail, name="detail"),
    path("<int:pk>/reveal/", views.dispute_reveal, name="reveal"),
    path("<int:pk>/<str:name>/", views.dispute_action, name="action"),
]
