from django.urls import path

from sso import views

urlpatterns = [
    path("authenticate/", views.start, name="oidc_authentication_init"),
    # The redirect URI registered with the provider: <site>/oidc/callback/
    path("callback/", views.callback, name="oidc_authentication_callback"),
]
