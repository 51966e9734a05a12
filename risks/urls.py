from django.urls import path

from . import views

app_name = "risks"

urlpatterns = [
    path("", views.index, name="index"),
    path("hazards/new/", views.hazard_new, name="hazard_new"),
    path("hazards/<int:pk>/", views.hazard_detail, name="hazard_detail"),
    path("hazards/<int:pk>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("map/", views.battle_map, name="map"),
    path("warning/", views.warning, name="warning"),
    path("risk-points/<int:pk>/", views.riskpoint_detail, name="riskpoint_detail"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
]
