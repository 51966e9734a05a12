from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("inbound/", views.inbound_list, name="inbound_list"),
    path("outbound/", views.outbound_list, name="outbound_list"),
    path("inbound/<int:pk>/", views.inbound_detail, name="inbound_detail"),
    path("inbound/<int:pk>/assign/", views.inbound_assign, name="inbound_assign"),
    path("inbound/<int:pk>/<str:outcome>/", views.inbound_work, name="inbound_work"),
]
