from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/figures/", views.FiguresView.as_view(), name="dashboard-figures"),
    path("dashboard/charts/", views.ChartsView.as_view(), name="dashboard-charts"),
    path("dashboard/live/", views.LiveView.as_view(), name="dashboard-live"),
    path("dashboard/reports/", views.ReportListView.as_view(), name="dashboard-reports"),
    path("dashboard/reports/<int:pk>/", views.ReportDetailView.as_view(), name="dashboard-report-detail"),
]
