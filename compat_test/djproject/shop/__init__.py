"""The demo app: a model-free cart class and the login/session/logout views."""
