from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.index, name="index"),
    path("board/", views.board, name="board"),
    path("board.json", views.board_data, name="board_data"),
    path("out-now/", views.out_now, name="out_now"),
    path("new/", views.call_new, name="new"),
    path("list/", views.incident_list, name="list"),
    path("kpi/", views.kpi, name="kpi"),
    path("escalation/", views.chains, name="chains"),
    path("escalation/edit/", views.chain_edit, name="chain_edit"),
    path("diversion/", views.diversion_catalogue, name="diversion_catalogue"),
    path("diversion/items/new/", views.diversion_item_edit, name="diversion_item_new"),
    path("diversion/items/<int:pk>/", views.diversion_item_edit, name="diversion_item_edit"),
    path("diversion/categories/new/", views.diversion_category_edit, name="diversion_category_new"),
    path("diversion/categories/<int:pk>/", views.diversion_category_edit, name="diversion_category_edit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/events/", views.record_event, name="record_event"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("from-inbound/<int:pk>/", views.accept_inbound, name="accept_inbound"),
]
