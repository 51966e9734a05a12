from django.urls import path

from . import views

app_name = "traffic"
urlpatterns = [
    path("", views.index, name="index"),
    path("map-data/", views.map_data, name="map_data"),
    path("roster/", views.roster, name="roster"),
    path("shifts/<int:pk>/cancel/", views.shift_cancel, name="shift_cancel"),
    path("patrols/", views.patrol_list, name="patrol_list"),
    path("patrols/new/", views.patrol_create, name="patrol_create"),
    path("patrols/typed-tally/", views.patrol_typed_tally, name="patrol_typed_tally"),
    path("joint-patrols/", views.joint_list, name="joint_list"),
    path("joint-patrols/new/", views.joint_create, name="joint_create"),
    path("accidents/", views.accident_list, name="accident_list"),
    path("accidents/new/", views.accident_create, name="accident_create"),
    path("accidents/<int:pk>/", views.accident_detail, name="accident_detail"),
    path("accidents/<int:pk>/close/", views.accident_close, name="accident_close"),
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/new/", views.asset_create, name="asset_create"),
    path("assets/<int:pk>/", views.asset_detail, name="asset_detail"),
    path("kpis/", views.kpis, name="kpis"),
]
