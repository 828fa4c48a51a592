from django.urls import path

from djproject.shop import views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("", views.session_view, name="session"),
    path("message/", views.message_view, name="message"),
    path("logout/", views.logout_view, name="logout"),
]
