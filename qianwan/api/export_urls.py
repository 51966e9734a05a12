from django.urls import path

from . import export_views

app_name = "exports"

urlpatterns = [
    path("<int:pk>/", export_views.detail, name="detail"),
    path("<int:pk>/status.json", export_views.status, name="status"),
    path("<int:pk>/download/", export_views.download, name="download"),
]
