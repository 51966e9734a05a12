from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("live.json", views.live_data, name="live"),
    path("map.json", views.map_data, name="map"),
    path("plotly.css", views.plotly_stylesheet, name="plotly_css"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/status.json", views.report_status, name="report_status"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
]
