from django.urls import path

from . import views

app_name = "antifraud"
urlpatterns = [
    path("", views.index, name="index"),
    path("station/", views.station, name="station"),
    path("ranking/", views.ranking, name="ranking"),
    path("enterprises/<int:pk>/", views.enterprise, name="enterprise"),
    path("enterprises/<int:pk>/classes/<int:class_pk>/", views.class_edit, name="class_edit"),
    path("enterprises/<int:pk>/imports/<int:import_pk>/", views.import_status, name="import_status"),
    path("enterprises/<int:pk>/sessions/", views.sessions, name="sessions"),
    path("enterprises/<int:pk>/scoring/", views.scoring, name="scoring"),
    path("enterprises/<int:pk>/letters/", views.letters, name="letters"),
    path("enterprises/<int:pk>/letters/<int:letter_pk>/file/", views.letter_file, name="letter_file"),
    path("letters/missing/", views.letters_missing, name="letters_missing"),
    path("standards/", views.standards, name="standards"),
    path("cases/", views.cases, name="cases"),
    path("cases/<int:case_pk>/", views.case_edit, name="case_edit"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:notice_pk>/", views.notice, name="notice"),
    path("victims/", views.victims, name="victims"),
]
