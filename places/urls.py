from django.urls import path

from . import views

app_name = "places"
urlpatterns = [
    path("", views.address_list, name="index"),
    path("addresses/new/", views.address_edit, name="address_new"),
    path("addresses/<int:pk>/", views.address_edit, name="address_edit"),
    path("addresses.json", views.address_suggest, name="address_suggest"),
    path("repeats.json", views.repeats_live, name="repeats_live"),
    path("import/", views.import_new, name="import_new"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/status.json", views.import_status, name="import_status"),
    path("search/", views.search, name="search"),
]
