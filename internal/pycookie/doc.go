// Package pycookie is Django's cookie handling, shared by the session and CSRF middlewares:
// request.COOKIES as django.http.parse_cookie reads them, Set-Cookie values as
// HttpResponse.set_cookie/delete_cookie write them through Python's Morsel.OutputString, and
// patch_vary_headers(response, ("Cookie",)).
package pycookie
