from django.urls import path

from .views import AddressListView, SearchView

urlpatterns = [
    path("addresses/", AddressListView.as_view(), name="address-list"),
    path("search/", SearchView.as_view(), name="search"),
]
