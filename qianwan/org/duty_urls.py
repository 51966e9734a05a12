from django.urls import path

from . import views

app_name = "duty"
urlpatterns = [
    path("", views.rota, name="rota"),
    path("rotations/new/", views.rotation_new, name="rotation_new"),
    path("rotations/<int:pk>/edit/", views.rotation_edit, name="rotation_edit"),
    path("rotations/<int:pk>/delete/", views.rotation_delete, name="rotation_delete"),
    path("overrides/new/", views.override_new, name="override_new"),
    path("overrides/<int:pk>/delete/", views.override_delete, name="override_delete"),
    path("swap/", views.swap, name="swap"),
]
