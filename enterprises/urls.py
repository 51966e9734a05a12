from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("", views.index, name="index"),
    path("registry/", views.enterprise_list, name="enterprise_list"),
    path("registry/new/", views.enterprise_edit, name="enterprise_new"),
    path("registry/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("registry/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("registry/import/", views.import_new, name="import_new"),
    path("registry/import/template.xlsx", views.import_template, name="import_template"),
    path("registry/import/<int:pk>/", views.import_detail, name="import_detail"),
    path("registry/import/<int:pk>/status.json", views.import_status, name="import_status"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/assign/", views.request_assign, name="request_assign"),
    path("requests/<int:pk>/visit/", views.request_visit, name="request_visit"),
    path("requests/<int:pk>/feedback/", views.request_feedback, name="request_feedback"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("referrals/", views.referral_list, name="referral_list"),
    path("referrals/new/", views.referral_new, name="referral_new"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("lectures/", views.lecture_list, name="lecture_list"),
    path("lectures/new/", views.lecture_new, name="lecture_new"),
    path("lectures/<int:pk>/materials/", views.lecture_materials, name="lecture_materials"),
    path("alliances/", views.alliance_list, name="alliance_list"),
    path("alliances/new/", views.alliance_edit, name="alliance_new"),
    path("alliances/<int:pk>/", views.alliance_detail, name="alliance_detail"),
    path("alliances/<int:pk>/edit/", views.alliance_edit, name="alliance_edit"),
    path("responses/", views.response_list, name="response_list"),
    path("responses/new/", views.response_new, name="response_new"),
    path("responses/<int:pk>/<str:verdict>/", views.response_review, name="response_review"),
]
